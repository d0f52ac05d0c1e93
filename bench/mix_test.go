package bench

import (
	"errors"
	"testing"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical form; "" when an error is expected
		weights map[OpKind]int
	}{
		{"get", "get", map[OpKind]int{KindGet: 1}},
		{"set", "set", map[OpKind]int{KindSet: 1}},
		{"read=90,write=10", "set=10,get=90", map[OpKind]int{KindGet: 90, KindSet: 10}},
		{" Read = 9 , WRITE=1 ", "set=1,get=9", map[OpKind]int{KindGet: 9, KindSet: 1}},
		{"getData=3,setData=1,getChildren=1", "set=1,get=3,children=1", map[OpKind]int{KindGet: 3, KindSet: 1, KindChildren: 1}},
		{"create,exists,multi", "create=1,exists=1,multi=1", map[OpKind]int{KindCreate: 1, KindExists: 1, KindMulti: 1}},
		{"children=5", "children", map[OpKind]int{KindChildren: 5}},
		{"", "", nil},
		{"   ", "", nil},
		{"delete", "", nil},
		{"watch", "", nil},
		{"get=0", "", nil},
		{"get=-1", "", nil},
		{"get=x", "", nil},
		{"get=", "", nil},
		{"read=90,get=10", "", nil}, // read is get: given twice
		{"get,,set", "", nil},
	}
	for _, tt := range tests {
		m, err := ParseMix(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadMix) {
				t.Errorf("ParseMix(%q) = %v, %v; want ErrBadMix", tt.in, m, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMix(%q): %v", tt.in, err)
			continue
		}
		if m.String() != tt.want {
			t.Errorf("ParseMix(%q).String() = %q, want %q", tt.in, m.String(), tt.want)
		}
		total := 0
		for k := range numKinds {
			if m.Weight(k) != tt.weights[k] {
				t.Errorf("ParseMix(%q): weight of %v = %d, want %d", tt.in, k, m.Weight(k), tt.weights[k])
			}
			total += tt.weights[k]
		}
		if m.Total() != total {
			t.Errorf("ParseMix(%q).Total() = %d, want %d", tt.in, m.Total(), total)
		}
		if back, err := ParseMix(m.String()); err != nil || back.String() != m.String() {
			t.Errorf("ParseMix(%q) does not read back its String %q: %v, %v", tt.in, m.String(), back, err)
		}
	}
}

func TestMixPickFollowsWeights(t *testing.T) {
	m := MustParseMix("get=5,set=2,multi=1")
	got := map[OpKind]int{}
	for n := range m.Total() {
		got[m.Pick(n)]++
	}
	want := map[OpKind]int{KindGet: 5, KindSet: 2, KindMulti: 1}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("Pick chose %v %d times over [0, Total), want %d", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Pick chose kinds %v, want only %v", got, want)
	}
}

func TestMixNeedsKeys(t *testing.T) {
	if MustParseMix("create").needsKeys() {
		t.Error("create alone needs no key space")
	}
	for _, s := range []string{"set", "get", "exists", "children", "multi", "create,get"} {
		if !MustParseMix(s).needsKeys() {
			t.Errorf("%s needs the key space", s)
		}
	}
}
