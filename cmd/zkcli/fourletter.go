package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// fourLetterWait bounds the whole exchange of a four-letter word.
const fourLetterWait = 10 * time.Second

// fourLetter sends word to the first server of the list and copies the
// answer to out, as `echo word | nc host port` would.
func fourLetter(servers, word string, out, errw io.Writer) int {
	addr, _, _ := strings.Cut(servers, ",")
	nc, err := net.DialTimeout("tcp", addr, fourLetterWait)
	if err != nil {
		fmt.Fprintf(errw, "zkcli: 4lw %s: %v\n", word, err)
		return 1
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(fourLetterWait))
	if _, err := io.WriteString(nc, word); err != nil {
		fmt.Fprintf(errw, "zkcli: 4lw %s: %v\n", word, err)
		return 1
	}
	if _, err := io.Copy(out, nc); err != nil {
		fmt.Fprintf(errw, "zkcli: 4lw %s: %v\n", word, err)
		return 1
	}
	return 0
}
