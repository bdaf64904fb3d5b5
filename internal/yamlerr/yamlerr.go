// Package yamlerr reads the position out of go.yaml.in/yaml/v3 syntax
// errors, correcting the line of the errors its parser reports counted from
// 0, so every YAML reader of retrace (rule files, test suites) names the
// same line for the same mistake.
package yamlerr

import (
	"regexp"
	"strconv"
)

// lineRe matches the position yaml.v3 puts in its syntax errors.
var lineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserErrors are the messages of yaml.v3's parser (as opposed to its
// scanner), whose line numbers it reports counted from 0.
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
}

// Line returns the 1-based line and the bare message of a yaml.v3 syntax
// error message such as "yaml: line 3: did not find expected key"; lines is
// the number of lines of the input, which bounds the corrected line. ok is
// false when msg names no line.
func Line(msg string, lines int) (line int, text string, ok bool) {
	m := lineRe.FindStringSubmatch(msg)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, "", false
	}
	if parserErrors[m[2]] {
		n = min(n+1, max(lines, 1))
	}
	return n, m[2], true
}
