package diff

import (
	"fmt"
	"strings"
)

// diffContext is how many equal lines a hunk shows around a change.
const diffContext = 3

// LineDiff returns a unified-style diff of two transcripts ("" when equal):
// lines only in a are marked "-", lines only in b "+". The names head it.
// Transcripts are a few hundred lines, so a plain LCS table is fine.
func LineDiff(aName, a, bName, b string) string {
	if a == b {
		return ""
	}
	x := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	y := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	ops := editScript(x, y)

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: back up for context, then run until diffContext*2 equal
		// lines in a row (or the end).
		start := max(i-diffContext, 0)
		for start > 0 && ops[start-1].kind != ' ' {
			start--
		}
		end, equal := i, 0
		for end < len(ops) && equal < 2*diffContext {
			if ops[end].kind == ' ' {
				equal++
			} else {
				equal = 0
			}
			end++
		}
		end -= max(equal-diffContext, 0)
		fmt.Fprintf(&out, "@@ %s line %d, %s line %d @@\n", aName, ops[start].ai+1, bName, ops[start].bi+1)
		for _, op := range ops[start:end] {
			fmt.Fprintf(&out, "%c %s\n", op.kind, op.line)
		}
		i = end
	}
	return out.String()
}

// editOp is one line of the edit script with its positions in a and b.
type editOp struct {
	kind   byte // ' ', '-', '+'
	line   string
	ai, bi int
}

func editScript(x, y []string) []editOp {
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []editOp
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, editOp{' ', x[i], i, j})
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, editOp{'+', y[j], i, j})
			j++
		default:
			ops = append(ops, editOp{'-', x[i], i, j})
			i++
		}
	}
	return ops
}
