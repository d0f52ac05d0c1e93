package zkimport

// ZooKeeper never stores session passwords: it derives each one from the
// session id (ZooKeeperServer.generatePasswd) and checks a reconnect by
// deriving it again. The import derives it the same way so that zkd, which
// does store them, accepts the password a client already holds.

// passwdSecret is ZooKeeperServer.superSecret.
const passwdSecret int64 = 0xB3415C00

// passwdLen is the length of a session password.
const passwdLen = 16

// SessionPassword returns the password Apache ZooKeeper gave session id:
// the first 16 bytes of java.util.Random(id ^ 0xB3415C00).nextBytes.
func SessionPassword(id int64) []byte {
	r := newJavaRandom(id ^ passwdSecret)
	p := make([]byte, passwdLen)
	r.nextBytes(p)
	return p
}

// javaRandom is java.util.Random's linear congruential generator, whose
// algorithm its documentation fixes.
type javaRandom struct{ seed int64 }

const (
	javaRandMultiplier = 0x5DEECE66D
	javaRandAddend     = 0xB
	javaRandMask       = 1<<48 - 1
)

func newJavaRandom(seed int64) *javaRandom {
	return &javaRandom{seed: (seed ^ javaRandMultiplier) & javaRandMask}
}

// next returns the next bits-bit value, as Random.next(bits).
func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*javaRandMultiplier + javaRandAddend) & javaRandMask
	return int32(r.seed >> (48 - bits))
}

// nextBytes fills b as Random.nextBytes: each int's bytes, low first.
func (r *javaRandom) nextBytes(b []byte) {
	for i := 0; i < len(b); {
		v := r.next(32)
		for n := min(len(b)-i, 4); n > 0; n-- {
			b[i] = byte(v)
			v >>= 8
			i++
		}
	}
}
