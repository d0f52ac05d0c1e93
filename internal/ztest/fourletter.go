package ztest

import (
	"fmt"
	"io"
	"net"
	"time"
)

// fourLetterTimeout bounds one 4lw exchange, connect included.
const fourLetterTimeout = 5 * time.Second

// FourLetter sends word on a fresh TCP connection and returns everything the
// server writes before it closes the connection.
func (s *Server) FourLetter(word string) (string, error) {
	return FourLetter(s.Addr, word)
}

// FourLetter does one 4lw exchange with the server at addr.
func FourLetter(addr, word string) (string, error) {
	return fourLetterWithin(addr, word, fourLetterTimeout)
}

// fourLetterWithin does one 4lw exchange bounded by timeout, connect
// included.
func fourLetterWithin(addr, word string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("ztest: 4lw %s: %w", word, err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", fmt.Errorf("ztest: 4lw %s: %w", word, err)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("ztest: 4lw %s: send: %w", word, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), fmt.Errorf("ztest: 4lw %s: read: %w", word, err)
	}
	return string(b), nil
}
