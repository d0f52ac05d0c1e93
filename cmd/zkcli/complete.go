package main

import (
	"sort"
	"strings"
)

// completeLine completes the word before the cursor: a command name when
// it is the first word, else a znode path when it starts with '/'.
func completeLine(sh *shell, head string) (int, []string) {
	start := strings.LastIndexAny(head, " \t") + 1
	word := head[start:]
	if strings.TrimSpace(head[:start]) == "" {
		var out []string
		for _, n := range commandNames() {
			if strings.HasPrefix(n, word) {
				out = append(out, n+" ")
			}
		}
		return start, out
	}
	if !strings.HasPrefix(word, "/") {
		return start, nil
	}
	cli, err := sh.client()
	if err != nil {
		return start, nil
	}
	cut := strings.LastIndex(word, "/")
	parent, prefix := word[:cut], word[cut+1:]
	if parent == "" {
		parent = "/"
	}
	kids, _, err := cli.Children(parent, false)
	if err != nil {
		return start, nil
	}
	sort.Strings(kids)
	var out []string
	for _, k := range kids {
		if strings.HasPrefix(k, prefix) {
			out = append(out, word[:cut+1]+k)
		}
	}
	return start, out
}
