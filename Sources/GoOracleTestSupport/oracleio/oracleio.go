// Package oracleio is the JSON input and output shared by the project's Go oracle programs
// (Tests/*/Oracle/oracle.go), which import it by a relative path in GOPATH mode:
//
//	import oracleio "../../../Sources/GoOracleTestSupport/oracleio"
//
// Its Swift half is GoOracle.swift beside this directory (GoOracle.Bytes mirrors Bytes).
package oracleio

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"unicode/utf8"
)

// Bytes is a byte string in an oracle's output: {"text": ...} when valid UTF-8, else {"base64": ...}.
type Bytes struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}

// Of returns b as Bytes.
func Of(b []byte) Bytes {
	if utf8.Valid(b) {
		s := string(b)
		return Bytes{Text: &s}
	}
	s := base64.StdEncoding.EncodeToString(b)
	return Bytes{Base64: &s}
}

// OfString returns s as Bytes.
func OfString(s string) Bytes { return Of([]byte(s)) }

// OfStrings returns each string as Bytes; nil stays nil.
func OfStrings(ss []string) []Bytes {
	if ss == nil {
		return nil
	}
	out := make([]Bytes, len(ss))
	for i, s := range ss {
		out[i] = OfString(s)
	}
	return out
}

// Input is a corpus byte string: text, or inputBase64 when set (for bytes that are not UTF-8).
func Input(text, inputBase64 string) []byte {
	if inputBase64 == "" {
		return []byte(text)
	}
	b, err := base64.StdEncoding.DecodeString(inputBase64)
	if err != nil {
		panic(err)
	}
	return b
}

// Decoded is a base64 DecodeString result: the output, or the CorruptInputError offset.
type Decoded struct {
	Output *Bytes `json:"output,omitempty"`
	// ErrorOffset is the CorruptInputError offset when decoding failed.
	ErrorOffset *int64 `json:"errorOffset,omitempty"`
}

// Decode runs enc.DecodeString(in).
func Decode(enc *base64.Encoding, in string) Decoded {
	out, err := enc.DecodeString(in)
	if err != nil {
		off := int64(err.(base64.CorruptInputError))
		return Decoded{ErrorOffset: &off}
	}
	v := Of(out)
	return Decoded{Output: &v}
}

// ReadCorpus decodes the corpus file named by the first argument into corpus.
func ReadCorpus(corpus interface{}) {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(raw, corpus); err != nil {
		panic(err)
	}
}

// WriteResults prints results as indented JSON (one space) on standard output.
func WriteResults(results interface{}, escapeHTML bool) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(escapeHTML)
	enc.SetIndent("", " ")
	if err := enc.Encode(results); err != nil {
		panic(err)
	}
}
