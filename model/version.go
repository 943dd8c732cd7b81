package model

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseVersion parses a version as written in a URL or directory name:
// "3" or "v3". Versions are positive integers.
func ParseVersion(s string) (int, error) {
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, fmt.Errorf("%q is not a version (want N or vN with N a positive integer)", s)
	}
	v, err := strconv.Atoi(digits)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a version (want N or vN with N a positive integer)", s)
	}
	return v, nil
}
