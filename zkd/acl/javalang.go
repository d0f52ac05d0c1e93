package acl

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The ZooKeeper sources this package mirrors lean on java.lang behaviour
// (String.split, Integer.parseInt, new String(bytes)) whose corner cases
// decide whether an ACL is valid. These helpers reproduce that behaviour so
// that a corner case is decided as ZooKeeper decides it.

// javaSplit is String.split with a literal separator. limit > 0 caps the
// number of parts, limit < 0 keeps trailing empty parts, and limit == 0 drops
// them; a string without the separator always splits into itself.
func javaSplit(s, sep string, limit int) []string {
	if limit > 0 {
		return strings.SplitN(s, sep, limit)
	}
	parts := strings.Split(s, sep)
	if limit < 0 || len(parts) == 1 {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaParseInt is Integer.parseInt(s, radix): an optional sign, then at least
// one digit as Character.digit knows them (any Unicode decimal digit in the
// Basic Multilingual Plane, ASCII and fullwidth Latin letters above 9), with
// the result in int32 range.
func javaParseInt(s string, radix int) (int32, bool) {
	neg := false
	switch {
	case s == "":
		return 0, false
	case s[0] == '-':
		neg = true
		s = s[1:]
	case s[0] == '+':
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	const limit = 1 << 31 // magnitude of MinInt32
	var v int64
	for _, r := range s {
		d := javaDigit(r, radix)
		if d < 0 {
			return 0, false
		}
		v = v*int64(radix) + int64(d)
		if v > limit {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > limit-1 {
		return 0, false
	}
	return int32(v), true
}

// javaDigit is Character.digit(char, radix) for a rune; -1 when r is no digit.
// Java looks at UTF-16 units, so runes outside the BMP (surrogate pairs) are
// never digits.
func javaDigit(r rune, radix int) int {
	d := -1
	switch {
	case r >= '0' && r <= '9':
		d = int(r - '0')
	case r >= 'a' && r <= 'z':
		d = int(r-'a') + 10
	case r >= 'A' && r <= 'Z':
		d = int(r-'A') + 10
	case r >= '\uff41' && r <= '\uff5a': // fullwidth a-z
		d = int(r-'\uff41') + 10
	case r >= '\uff21' && r <= '\uff3a': // fullwidth A-Z
		d = int(r-'\uff21') + 10
	case r <= 0xffff && unicode.IsDigit(r):
		// Unicode encodes decimal digits in contiguous runs of ten starting
		// at zero, so the position within the run of digits is the value.
		start := r
		for unicode.IsDigit(start - 1) {
			start--
		}
		d = int(r-start) % 10
	}
	if d >= radix {
		return -1
	}
	return d
}

// javaUTF16Len is String.length(): the number of UTF-16 units of s.
func javaUTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xffff {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// decodeJavaUTF8 is new String(b, UTF_8) on JDK 17: malformed input becomes
// U+FFFD, one per malformed subsequence as the JDK delimits them (which is
// not always one per byte), and encoded surrogates are malformed. The result
// is valid UTF-8 and equals what getBytes(UTF_8) gives back in Java.
func decodeJavaUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	isCont := func(c byte) bool { return c&0xc0 == 0x80 }
	n := len(b)
	for i := 0; i < n; {
		b1 := b[i]
		switch {
		case b1 < 0x80:
			sb.WriteByte(b1)
			i++
		case b1 >= 0xc2 && b1 <= 0xdf:
			if i+1 >= n {
				sb.WriteRune(utf8.RuneError)
				return sb.String()
			}
			if !isCont(b[i+1]) {
				sb.WriteRune(utf8.RuneError)
				i++
				continue
			}
			sb.WriteRune(rune(b1&0x1f)<<6 | rune(b[i+1]&0x3f))
			i += 2
		case b1 >= 0xe0 && b1 <= 0xef:
			if i+2 >= n {
				if i+1 < n && malformed3of2(b1, b[i+1]) {
					sb.WriteRune(utf8.RuneError)
					i++
					continue
				}
				sb.WriteRune(utf8.RuneError)
				return sb.String()
			}
			b2, b3 := b[i+1], b[i+2]
			if malformed3of2(b1, b2) || !isCont(b3) {
				sb.WriteRune(utf8.RuneError)
				if malformed3of2(b1, b2) {
					i++
				} else {
					i += 2
				}
				continue
			}
			r := rune(b1&0x0f)<<12 | rune(b2&0x3f)<<6 | rune(b3&0x3f)
			if r >= 0xd800 && r <= 0xdfff {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
			i += 3
		case b1 >= 0xf0 && b1 <= 0xf7:
			if i+3 >= n {
				if b1 > 0xf4 || (i+1 < n && malformed4of2(b1, b[i+1])) {
					sb.WriteRune(utf8.RuneError)
					i++
					continue
				}
				sb.WriteRune(utf8.RuneError)
				if i+2 < n && !isCont(b[i+2]) {
					i += 2
					continue
				}
				return sb.String()
			}
			b2, b3, b4 := b[i+1], b[i+2], b[i+3]
			r := rune(b1&0x07)<<18 | rune(b2&0x3f)<<12 | rune(b3&0x3f)<<6 | rune(b4&0x3f)
			if !isCont(b2) || !isCont(b3) || !isCont(b4) || r < 0x10000 || r > 0x10ffff {
				sb.WriteRune(utf8.RuneError)
				switch {
				case b1 > 0xf4 || malformed4of2(b1, b2):
					i++
				case !isCont(b3):
					i += 2
				default:
					i += 3
				}
				continue
			}
			sb.WriteRune(r)
			i += 4
		default: // continuation byte, C0, C1, F8-FF
			sb.WriteRune(utf8.RuneError)
			i++
		}
	}
	return sb.String()
}

// malformed3of2 reports whether b2 cannot follow the lead byte b1 of a
// three-byte sequence (overlong E0 forms included, surrogates not).
func malformed3of2(b1, b2 byte) bool {
	return (b1 == 0xe0 && b2&0xe0 == 0x80) || b2&0xc0 != 0x80
}

// malformed4of2 reports whether b2 cannot follow the lead byte b1 of a
// four-byte sequence (overlong F0 forms and F4 beyond U+10FFFF included).
func malformed4of2(b1, b2 byte) bool {
	return (b1 == 0xf0 && (b2 < 0x90 || b2 > 0xbf)) ||
		(b1 == 0xf4 && b2&0xf0 != 0x80) ||
		b2&0xc0 != 0x80
}
