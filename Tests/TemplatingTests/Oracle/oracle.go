// Command oracle renders every case of a template corpus with Go's own text/template and the
// sprig 3.2.3 function map, so the Swift engine can be compared with Go byte for byte.
//
// Usage (GOPATH mode, Debian's golang-go and golang-github-masterminds-sprig-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run oracle.go corpus.json > expected.json
//
// The output is a JSON list, one entry per case and in corpus order: {"name", "output"} when Go
// rendered the case (or "outputBase64" when the output is not valid UTF-8), {"name", "error"}
// when parsing or execution failed.
package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/sprig"
)

type testCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	// Delims, when present, are the left and right action delimiters.
	Delims []string `json:"delims,omitempty"`
	// MissingKey is the missingkey option: "", "default", "zero" or "error".
	MissingKey string `json:"missingkey,omitempty"`
	// StringData decodes data as map[string]string, the shape ESO passes to templates.
	StringData bool `json:"stringData,omitempty"`
	// DataBase64, when present, replaces data: a map[string]string whose values are given in
	// base64, so they can hold any bytes (ESO passes string(secret value), binary included).
	DataBase64 map[string]string `json:"dataBase64,omitempty"`
}

type result struct {
	Name         string  `json:"name"`
	Output       *string `json:"output,omitempty"`
	OutputBase64 *string `json:"outputBase64,omitempty"`
	Error        *string `json:"error,omitempty"`
}

// funcMap is sprig's text function map as ESO 2.9 exposes it: without the environment and DNS
// functions ESO removed, plus ESO's sha512sum.
func funcMap() template.FuncMap {
	fm := sprig.TxtFuncMap()
	delete(fm, "env")
	delete(fm, "expandenv")
	delete(fm, "getHostByName")
	fm["sha512sum"] = func(input string) string {
		hash := sha512.Sum512([]byte(input))
		return hex.EncodeToString(hash[:])
	}
	return fm
}

// normalize turns json.Number into int when the literal is integral and fits, else float64.
func normalize(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := x.Int64(); err == nil {
				return int(i)
			}
		}
		f, _ := x.Float64()
		return f
	case []interface{}:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]interface{}:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	}
	return v
}

func decodeData(c testCase) (interface{}, error) {
	if c.DataBase64 != nil {
		m := make(map[string]string, len(c.DataBase64))
		for k, v := range c.DataBase64 {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, err
			}
			m[k] = string(b)
		}
		return m, nil
	}
	if len(c.Data) == 0 {
		return nil, nil
	}
	if c.StringData {
		var m map[string]string
		err := json.Unmarshal(c.Data, &m)
		return m, err
	}
	dec := json.NewDecoder(bytes.NewReader(c.Data))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalize(v), nil
}

func render(c testCase, fm template.FuncMap) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t := template.New("main").Funcs(fm)
	if len(c.Delims) == 2 {
		t = t.Delims(c.Delims[0], c.Delims[1])
	}
	if c.MissingKey != "" {
		t = t.Option("missingkey=" + c.MissingKey)
	}
	t, err = t.Parse(c.Template)
	if err != nil {
		return "", err
	}
	data, err := decodeData(c)
	if err != nil {
		return "", fmt.Errorf("bad test data: %v", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle corpus.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
	// ESO runs in UTC containers; the Swift engine's "Local" is UTC.
	time.Local = time.UTC
	fm := funcMap()
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		r := result{Name: c.Name}
		out, err := render(c, fm)
		switch {
		case err != nil:
			msg := err.Error()
			r.Error = &msg
		case utf8.ValidString(out):
			r.Output = &out
		default:
			b := base64.StdEncoding.EncodeToString([]byte(out))
			r.OutputBase64 = &b
		}
		results = append(results, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(buf.Bytes())
}
