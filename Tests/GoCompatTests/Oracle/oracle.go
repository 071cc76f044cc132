// Command oracle runs every case of the GoCompat corpus through Go's own standard library, so the
// Swift GoCompat target can be compared with Go: regexp (every function GoRegexp offers),
// time.ParseDuration and Duration.String, strconv.Quote / QuoteToASCII / QuoteRune, and
// encoding/base64's four encodings, and encoding/json's string and float64 encoding.
//
// Usage (Debian's golang-go, standard library only):
//
//	GO111MODULE=off go run oracle.go corpus.json > expected.json
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	oracleio "../../../Sources/GoOracleTestSupport/oracleio"
)

type corpus struct {
	Regexp   []regexpCase   `json:"regexp"`
	Duration []durationCase `json:"duration"`
	Quote    []bytesCase    `json:"quote"`
	Base64   []bytesCase    `json:"base64"`
	JSON     []bytesCase    `json:"jsonString"`
	Numbers  []numberCase   `json:"jsonNumber"`
	Values   []bytesCase    `json:"jsonValue"`
	Objects  []bytesCase    `json:"jsonObject"`
}

// numberCase: a float64 (read by strconv.ParseFloat) as json.Marshal writes it.
type numberCase struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// durationCase: time.ParseDuration(Text), and Duration(Nanoseconds).String().
type durationCase struct {
	Name        string `json:"name"`
	Text        string `json:"text"`
	Nanoseconds int64  `json:"nanoseconds"`
}

// bytesCase: one byte string (Input, or InputBase64 for bytes that are not UTF-8).
type bytesCase struct {
	Name        string `json:"name"`
	Input       string `json:"input"`
	InputBase64 string `json:"inputBase64,omitempty"`
}

func (c bytesCase) bytes() []byte { return oracleio.Input(c.Input, c.InputBase64) }

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

type text = oracleio.Bytes

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

type durationResult struct {
	Name string `json:"name"`
	// Parsed is ParseDuration's result in nanoseconds; nil when it failed.
	Parsed *int64 `json:"parsed"`
	// String is Duration(Nanoseconds).String().
	String string `json:"string"`
}

type quoteResult struct {
	Name      string  `json:"name"`
	Quote     string  `json:"quote"`
	ASCII     string  `json:"ascii"`
	FirstRune *string `json:"firstRune,omitempty"`
}

type base64Result struct {
	Name      string           `json:"name"`
	Std       string           `json:"std"`
	URL       string           `json:"url"`
	RawStd    string           `json:"rawStd"`
	RawURL    string           `json:"rawURL"`
	DecodeStd oracleio.Decoded `json:"decodeStd"`
	DecodeURL oracleio.Decoded `json:"decodeURL"`
}

// jsonResult: encoding/json's string encoding, with and without HTML escaping, and a
// map[string]string holding the string as a key and as a value.
type jsonResult struct {
	Name         string `json:"name"`
	Marshal      string `json:"marshal"`
	NoEscapeHTML string `json:"noEscapeHTML"`
	Map          string `json:"map"`
}

func runJSON(c bytesCase) jsonResult {
	s := string(c.bytes())
	marshal, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	m, err := json.Marshal(map[string]string{"v": s, s: "k", "": "empty"})
	if err != nil {
		panic(err)
	}
	return jsonResult{Name: c.Name, Marshal: string(marshal), NoEscapeHTML: strings.TrimSuffix(buf.String(), "\n"), Map: string(m)}
}

type numberResult struct {
	Name    string `json:"name"`
	Marshal string `json:"marshal"`
}

func runNumber(c numberCase) numberResult {
	f, err := strconv.ParseFloat(c.Text, 64)
	if err != nil {
		panic(err)
	}
	out, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return numberResult{Name: c.Name, Marshal: string(out)}
}

// valueResult: a document decoded into interface{} and marshalled again, with UseNumber
// (Literal) and without (Float64), and the latter as fmt's %v writes it (Formatted: ESO's IBM
// provider formats fields so); nil when Go refused the document.
type valueResult struct {
	Name      string  `json:"name"`
	Literal   *string `json:"literal"`
	Float64   *string `json:"float64"`
	Formatted *string `json:"formatted"`
}

func runValue(c bytesCase) valueResult {
	r := valueResult{Name: c.Name}
	dec := json.NewDecoder(bytes.NewReader(c.bytes()))
	dec.UseNumber()
	var withNumbers interface{}
	if err := dec.Decode(&withNumbers); err == nil && !dec.More() {
		if _, err := dec.Token(); err != nil {
			out, err := json.Marshal(withNumbers)
			if err != nil {
				panic(err)
			}
			s := string(out)
			r.Literal = &s
		}
	}
	var plain interface{}
	if err := json.Unmarshal(c.bytes(), &plain); err == nil {
		out, err := json.Marshal(plain)
		if err != nil {
			panic(err)
		}
		s := string(out)
		r.Float64 = &s
		formatted := fmt.Sprintf("%v", plain)
		r.Formatted = &formatted
	}
	return r
}

type results struct {
	Regexp   []regexpResult   `json:"regexp"`
	Duration []durationResult `json:"duration"`
	Quote    []quoteResult    `json:"quote"`
	Base64   []base64Result   `json:"base64"`
	JSON     []jsonResult     `json:"jsonString"`
	Numbers  []numberResult   `json:"jsonNumber"`
	Values   []valueResult    `json:"jsonValue"`
	Objects  []objectResult   `json:"jsonObject"`
}

// objectResult: the document unmarshalled into map[string]json.RawMessage (ESO's
// JSONToSecretDataMap and sjson read members this way): Members holds each value's text as
// written, nil for the document null; Error tells whether Go refused the document.
type objectResult struct {
	Name    string                    `json:"name"`
	Members map[string]oracleio.Bytes `json:"members"`
	Error   bool                      `json:"error"`
}

func runObject(c bytesCase) objectResult {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(c.bytes(), &m); err != nil {
		return objectResult{Name: c.Name, Error: true}
	}
	r := objectResult{Name: c.Name}
	if m != nil {
		r.Members = map[string]oracleio.Bytes{}
		for k, v := range m {
			r.Members[k] = oracleio.Of(v)
		}
	}
	return r
}

func runDuration(c durationCase) durationResult {
	r := durationResult{Name: c.Name, String: time.Duration(c.Nanoseconds).String()}
	if d, err := time.ParseDuration(c.Text); err == nil {
		n := int64(d)
		r.Parsed = &n
	}
	return r
}

func runQuote(c bytesCase) quoteResult {
	b := string(c.bytes())
	r := quoteResult{Name: c.Name, Quote: strconv.Quote(b), ASCII: strconv.QuoteToASCII(b)}
	for _, ru := range b {
		q := strconv.QuoteRune(ru)
		r.FirstRune = &q
		break
	}
	return r
}

func runBase64(c bytesCase) base64Result {
	b := c.bytes()
	return base64Result{
		Name:      c.Name,
		Std:       base64.StdEncoding.EncodeToString(b),
		URL:       base64.URLEncoding.EncodeToString(b),
		RawStd:    base64.RawStdEncoding.EncodeToString(b),
		RawURL:    base64.RawURLEncoding.EncodeToString(b),
		DecodeStd: oracleio.Decode(base64.StdEncoding, string(b)),
		DecodeURL: oracleio.Decode(base64.URLEncoding, string(b)),
	}
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
	find := oracleio.OfString(re.FindString(input))
	r.Find = &find
	r.FindIndex = re.FindStringIndex(input)
	r.FindSubmatch = oracleio.OfStrings(re.FindStringSubmatch(input))
	r.FindSubmatchIndex = re.FindStringSubmatchIndex(input)
	r.FindAll = oracleio.OfStrings(re.FindAllString(input, n))
	r.FindAllIndex = re.FindAllStringIndex(input, n)
	for _, m := range re.FindAllStringSubmatch(input, n) {
		r.FindAllSubmatch = append(r.FindAllSubmatch, oracleio.OfStrings(m))
	}
	r.FindAllSubmatchIndex = re.FindAllStringSubmatchIndex(input, n)
	all := oracleio.OfString(re.ReplaceAllString(input, repl))
	r.ReplaceAll = &all
	literal := oracleio.OfString(re.ReplaceAllLiteralString(input, repl))
	r.ReplaceAllLiteral = &literal
	fn := oracleio.OfString(re.ReplaceAllStringFunc(input, func(m string) string { return "[" + m + "]" }))
	r.ReplaceAllFunc = &fn
	r.Split = oracleio.OfStrings(re.Split(input, n))
	return r
}

func main() {
	var c corpus
	oracleio.ReadCorpus(&c)
	var out results
	for _, rc := range c.Regexp {
		out.Regexp = append(out.Regexp, runRegexp(rc))
	}
	for _, dc := range c.Duration {
		out.Duration = append(out.Duration, runDuration(dc))
	}
	for _, qc := range c.Quote {
		out.Quote = append(out.Quote, runQuote(qc))
	}
	for _, bc := range c.Base64 {
		out.Base64 = append(out.Base64, runBase64(bc))
	}
	for _, jc := range c.JSON {
		out.JSON = append(out.JSON, runJSON(jc))
	}
	for _, nc := range c.Numbers {
		out.Numbers = append(out.Numbers, runNumber(nc))
	}
	for _, vc := range c.Values {
		out.Values = append(out.Values, runValue(vc))
	}
	for _, oc := range c.Objects {
		out.Objects = append(out.Objects, runObject(oc))
	}
	oracleio.WriteResults(out, true)
}
