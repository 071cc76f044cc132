// Command oracle runs every case of the GoCompat corpus through Go's own standard library, so the
// Swift GoCompat target can be compared with Go: regexp (every function GoRegexp offers).
//
// Usage (Debian's golang-go, standard library only):
//
//	GO111MODULE=off go run oracle.go corpus.json > expected.json
package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"unicode/utf8"
)

type corpus struct {
	Regexp []regexpCase `json:"regexp"`
}

// regexpCase: every GoRegexp function applied to one pattern and one input.
type regexpCase struct {
	Name    string `json:"name"`
	Pattern string `json:"pattern"`
	Input   string `json:"input"`
	// InputBase64, when set, replaces Input (bytes that are not valid UTF-8).
	InputBase64 string `json:"inputBase64,omitempty"`
	// N is the count for the FindAll functions and Split (nil: -1).
	N *int `json:"n,omitempty"`
	// Repl is the ReplaceAllString template (nil: "<$0>").
	Repl *string `json:"repl,omitempty"`
}

// text is a byte string in the output: text when valid UTF-8, else base64.
type text struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}

func bytesText(s string) text {
	if utf8.ValidString(s) {
		return text{Text: &s}
	}
	b := base64.StdEncoding.EncodeToString([]byte(s))
	return text{Base64: &b}
}

func texts(ss []string) []text {
	if ss == nil {
		return nil
	}
	out := make([]text, len(ss))
	for i, s := range ss {
		out[i] = bytesText(s)
	}
	return out
}

type regexpResult struct {
	Name  string  `json:"name"`
	Error *string `json:"error,omitempty"`

	SubexpNames          []string `json:"subexpNames,omitempty"`
	Match                bool     `json:"match"`
	Find                 *text    `json:"find,omitempty"`
	FindIndex            []int    `json:"findIndex"`
	FindSubmatch         []text   `json:"findSubmatch"`
	FindSubmatchIndex    []int    `json:"findSubmatchIndex"`
	FindAll              []text   `json:"findAll"`
	FindAllIndex         [][]int  `json:"findAllIndex"`
	FindAllSubmatch      [][]text `json:"findAllSubmatch"`
	FindAllSubmatchIndex [][]int  `json:"findAllSubmatchIndex"`
	ReplaceAll           *text    `json:"replaceAll,omitempty"`
	ReplaceAllLiteral    *text    `json:"replaceAllLiteral,omitempty"`
	ReplaceAllFunc       *text    `json:"replaceAllFunc,omitempty"`
	Split                []text   `json:"split"`
	QuoteMeta            string   `json:"quoteMeta"`
}

type results struct {
	Regexp []regexpResult `json:"regexp"`
}

func runRegexp(c regexpCase) regexpResult {
	r := regexpResult{Name: c.Name}
	input := c.Input
	if c.InputBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(c.InputBase64)
		if err != nil {
			panic(err)
		}
		input = string(b)
	}
	n := -1
	if c.N != nil {
		n = *c.N
	}
	repl := "<$0>"
	if c.Repl != nil {
		repl = *c.Repl
	}
	r.QuoteMeta = regexp.QuoteMeta(c.Pattern)
	re, err := regexp.Compile(c.Pattern)
	if err != nil {
		msg := err.Error()
		r.Error = &msg
		return r
	}
	r.SubexpNames = re.SubexpNames()
	r.Match = re.MatchString(input)
	find := bytesText(re.FindString(input))
	r.Find = &find
	r.FindIndex = re.FindStringIndex(input)
	r.FindSubmatch = texts(re.FindStringSubmatch(input))
	r.FindSubmatchIndex = re.FindStringSubmatchIndex(input)
	r.FindAll = texts(re.FindAllString(input, n))
	r.FindAllIndex = re.FindAllStringIndex(input, n)
	for _, m := range re.FindAllStringSubmatch(input, n) {
		r.FindAllSubmatch = append(r.FindAllSubmatch, texts(m))
	}
	r.FindAllSubmatchIndex = re.FindAllStringSubmatchIndex(input, n)
	all := bytesText(re.ReplaceAllString(input, repl))
	r.ReplaceAll = &all
	literal := bytesText(re.ReplaceAllLiteralString(input, repl))
	r.ReplaceAllLiteral = &literal
	fn := bytesText(re.ReplaceAllStringFunc(input, func(m string) string { return "[" + m + "]" }))
	r.ReplaceAllFunc = &fn
	r.Split = texts(re.Split(input, n))
	return r
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var c corpus
	if err := json.Unmarshal(raw, &c); err != nil {
		panic(err)
	}
	var out results
	for _, rc := range c.Regexp {
		out.Regexp = append(out.Regexp, runRegexp(rc))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
