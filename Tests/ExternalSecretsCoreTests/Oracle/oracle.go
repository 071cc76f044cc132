// Command oracle runs every case of the fetch-pipeline corpus through the Go code ESO uses, so the
// Swift pipeline can be compared with Go byte for byte: gjson paths (and ESO's property lookup),
// encoding/base64 decoding (ESO's Base64, Base64URL and Auto), regexp.ReplaceAllString (rewrite
// regexp), JSON object extraction (ESO's JSONToSecretDataMap) and key conversion (ESO's convert).
//
// Usage (GOPATH mode, Debian's golang-go and golang-github-tidwall-gjson-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run oracle.go corpus.json > expected.json
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/tidwall/gjson"

	oracleio "../../../Sources/GoOracleTestSupport/oracleio"
)

type corpus struct {
	GJSON   []gjsonCase   `json:"gjson"`
	Base64  []base64Case  `json:"base64"`
	Regexp  []regexpCase  `json:"regexp"`
	Extract []extractCase `json:"extract"`
	Convert []convertCase `json:"convert"`
}

type gjsonCase struct {
	Name string `json:"name"`
	JSON string `json:"json"`
	// JSONBase64, when set, replaces JSON (for input that is not valid UTF-8).
	JSONBase64 string `json:"jsonBase64,omitempty"`
	Path       string `json:"path"`
}

type base64Case struct {
	Name  string `json:"name"`
	Input string `json:"input"`
}

type regexpCase struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Target string `json:"target"`
	Input  string `json:"input"`
}

type extractCase struct {
	Name       string `json:"name"`
	JSON       string `json:"json"`
	JSONBase64 string `json:"jsonBase64,omitempty"`
}

type convertCase struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type value = oracleio.Bytes

type gjsonResult struct {
	Name     string `json:"name"`
	Exists   bool   `json:"exists"`
	String   value  `json:"string"`
	Raw      value  `json:"raw"`
	Property *value `json:"property"`
}

type base64Result struct {
	Name      string           `json:"name"`
	Base64    oracleio.Decoded `json:"base64"`
	Base64URL oracleio.Decoded `json:"base64url"`
	Auto      value            `json:"auto"`
}

type regexpResult struct {
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

type extractResult struct {
	Name  string           `json:"name"`
	Data  map[string]value `json:"data,omitempty"`
	Error *string          `json:"error,omitempty"`
}

type convertResult struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Unicode string `json:"unicode"`
}

type results struct {
	GJSON   []gjsonResult   `json:"gjson"`
	Base64  []base64Result  `json:"base64"`
	Regexp  []regexpResult  `json:"regexp"`
	Extract []extractResult `json:"extract"`
	Convert []convertResult `json:"convert"`
}

// property is what ESO's providers do with remoteRef.property.
func property(payload, prop string) *value {
	if strings.Contains(prop, ".") {
		val := gjson.Get(payload, strings.ReplaceAll(prop, ".", "\\."))
		if val.Exists() {
			v := oracleio.Of([]byte(val.String()))
			return &v
		}
	}
	val := gjson.Get(payload, prop)
	if !val.Exists() {
		return nil
	}
	v := oracleio.Of([]byte(val.String()))
	return &v
}

// auto is ESO's DecodingStrategy Auto.
func auto(in string) value {
	if out, err := base64.StdEncoding.DecodeString(in); err == nil {
		return oracleio.Of(out)
	}
	if out, err := base64.URLEncoding.DecodeString(in); err == nil {
		return oracleio.Of(out)
	}
	return oracleio.Of([]byte(in))
}

// jsonToSecretDataMap is ESO's esutils.JSONToSecretDataMap.
func jsonToSecretDataMap(data []byte) (map[string][]byte, error) {
	kv := make(map[string]json.RawMessage)
	if err := json.Unmarshal(data, &kv); err != nil {
		return nil, err
	}
	secretData := make(map[string][]byte, len(kv))
	for k, v := range kv {
		var strVal string
		if err := json.Unmarshal(v, &strVal); err == nil {
			secretData[k] = []byte(strVal)
		} else {
			secretData[k] = v
		}
	}
	return secretData, nil
}

// convert is ESO's esutils convert for one strategy.
func convert(unicodeStrategy bool, str string) string {
	rs := []rune(str)
	newName := make([]string, len(rs))
	for rk, rv := range rs {
		if !unicode.IsNumber(rv) && !unicode.IsLetter(rv) && rv != '-' && rv != '.' && rv != '_' {
			if unicodeStrategy {
				newName[rk] = fmt.Sprintf("_U%04x_", rv)
			} else {
				newName[rk] = "_"
			}
		} else {
			newName[rk] = string(rv)
		}
	}
	return strings.Join(newName, "")
}

func main() {
	var c corpus
	oracleio.ReadCorpus(&c)
	var r results
	for _, tc := range c.GJSON {
		payload := string(oracleio.Input(tc.JSON, tc.JSONBase64))
		res := gjson.Get(payload, tc.Path)
		r.GJSON = append(r.GJSON, gjsonResult{
			Name: tc.Name, Exists: res.Exists(), String: oracleio.Of([]byte(res.String())),
			Raw: oracleio.Of([]byte(res.Raw)), Property: property(payload, tc.Path),
		})
	}
	for _, tc := range c.Base64 {
		r.Base64 = append(r.Base64, base64Result{
			Name: tc.Name, Base64: oracleio.Decode(base64.StdEncoding, tc.Input),
			Base64URL: oracleio.Decode(base64.URLEncoding, tc.Input), Auto: auto(tc.Input),
		})
	}
	for _, tc := range c.Regexp {
		res := regexpResult{Name: tc.Name}
		re, err := regexp.Compile(tc.Source)
		if err != nil {
			msg := err.Error()
			res.Error = &msg
		} else {
			out := re.ReplaceAllString(tc.Input, tc.Target)
			res.Output = &out
		}
		r.Regexp = append(r.Regexp, res)
	}
	for _, tc := range c.Extract {
		res := extractResult{Name: tc.Name}
		data, err := jsonToSecretDataMap([]byte(string(oracleio.Input(tc.JSON, tc.JSONBase64))))
		if err != nil {
			msg := err.Error()
			res.Error = &msg
		} else {
			res.Data = map[string]value{}
			keys := make([]string, 0, len(data))
			for k := range data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				res.Data[k] = oracleio.Of(data[k])
			}
		}
		r.Extract = append(r.Extract, res)
	}
	for _, tc := range c.Convert {
		r.Convert = append(r.Convert, convertResult{
			Name: tc.Name, Default: convert(false, tc.Key), Unicode: convert(true, tc.Key),
		})
	}
	oracleio.WriteResults(r, false)
}
