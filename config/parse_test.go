package config

import (
	"errors"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseCase is one row of a converter table: the input, and either the value
// it gives or the message its error must read (want is ignored then).
type parseCase[T any] struct {
	in   string
	want T
	err  string // exact error text; "" means the input is accepted
}

// runParse checks a converter against its table.
func runParse[T any](t *testing.T, parse func(string) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, c := range cases {
		got, err := parse(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: unexpected error %v", c.in, err)
		case c.err == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("%q: got %#v, want %#v", c.in, got, c.want)
		case c.err != "" && err == nil:
			t.Errorf("%q: got %#v, want error %q", c.in, got, c.err)
		case c.err != "" && err.Error() != c.err:
			t.Errorf("%q: error %q, want %q", c.in, err, c.err)
		case c.err != "":
			var ce *Error
			if !errors.As(err, &ce) || ce.Origin != (Origin{}) {
				t.Errorf("%q: error %#v is not an *Error without origin", c.in, err)
			}
		}
	}
}

const wantBool = "want a boolean (true/false, yes/no, on/off, y/n, t/f, 1/0), got "

func TestParseBool(t *testing.T) {
	var cases []parseCase[bool]
	for _, s := range []string{"true", "yes", "on", "y", "t", "1", "TRUE", "Yes", " On ", "\tY\n", "T"} {
		cases = append(cases, parseCase[bool]{in: s, want: true})
	}
	for _, s := range []string{"false", "no", "off", "n", "f", "0", "", "  ", "FALSE", " No", "OFF\n"} {
		cases = append(cases, parseCase[bool]{in: s, want: false})
	}
	for _, s := range []string{"2", "garbage", "enabled", "truee", "-1", "yes please", "0.0", "nein"} {
		cases = append(cases, parseCase[bool]{in: s, err: wantBool + strconv.Quote(s)})
	}
	runParse(t, ParseBool, cases)
}

func TestParseInt(t *testing.T) {
	runParse(t, ParseInt, []parseCase[int]{
		{in: "42", want: 42},
		{in: " 42 ", want: 42},
		{in: "\t8080\n", want: 8080},
		{in: "-7", want: -7},
		{in: "+7", want: 7},
		{in: "1_000", want: 1000},
		{in: "1_0", want: 10},
		{in: "1_000_000", want: 1000000},
		{in: "007", want: 7},
		{in: "-0", want: 0},
		{in: "9223372036854775807", want: math.MaxInt},
		{in: "-9223372036854775808", want: math.MinInt},
		{in: "four", err: `want an integer, got "four"`},
		{in: "", err: `want an integer, got ""`},
		{in: "  ", err: `want an integer, got "  "`},
		{in: "0x50", err: `want an integer, got "0x50"`},
		{in: "1e3", err: `want an integer, got "1e3"`},
		{in: "8080.0", err: `want an integer, got "8080.0"`},
		{in: "８０", err: `want an integer, got "８０"`},
		{in: "٣", err: `want an integer, got "٣"`},
		{in: "_1", err: `want an integer, got "_1"`},
		{in: "1_", err: `want an integer, got "1_"`},
		{in: "1__0", err: `want an integer, got "1__0"`},
		{in: "-_1", err: `want an integer, got "-_1"`},
		{in: "+", err: `want an integer, got "+"`},
		{in: "--1", err: `want an integer, got "--1"`},
		{in: "+-1", err: `want an integer, got "+-1"`},
		{in: "- 1", err: `want an integer, got "- 1"`},
		{in: "1 000", err: `want an integer, got "1 000"`},
		{in: "1,000", err: `want an integer, got "1,000"`},
		{in: "9223372036854775808", err: `want an integer from -9223372036854775808 to 9223372036854775807, got "9223372036854775808"`},
		{in: "-99999999999999999999", err: `want an integer from -9223372036854775808 to 9223372036854775807, got "-99999999999999999999"`},
	})
}

func TestParseIntRange(t *testing.T) {
	port := func(s string) (int, error) { return ParseIntRange(s, 0, 65535) }
	runParse(t, port, []parseCase[int]{
		{in: "0", want: 0},
		{in: "65535", want: 65535},
		{in: " 8080 ", want: 8080},
		{in: "70000", err: `want an integer from 0 to 65535, got "70000"`},
		{in: "-1", err: `want an integer from 0 to 65535, got "-1"`},
		{in: "http", err: `want an integer, got "http"`},
		{in: "99999999999999999999", err: `want an integer from 0 to 65535, got "99999999999999999999"`},
	})
	atLeast1 := func(s string) (int, error) { return ParseIntRange(s, 1, math.MaxInt) }
	runParse(t, atLeast1, []parseCase[int]{
		{in: "1", want: 1},
		{in: "1_000_000", want: 1000000},
		{in: "0", err: `want an integer of at least 1, got "0"`},
		{in: "-4", err: `want an integer of at least 1, got "-4"`},
		{in: "99999999999999999999", err: `want an integer from 1 to 9223372036854775807, got "99999999999999999999"`},
	})
	atMost9 := func(s string) (int, error) { return ParseIntRange(s, math.MinInt, 9) }
	runParse(t, atMost9, []parseCase[int]{
		{in: "-100", want: -100},
		{in: "10", err: `want an integer of at most 9, got "10"`},
	})
}

const wantSize = "want a byte size (an integer, optionally followed by K, M or G), got "

func TestParseByteSize(t *testing.T) {
	runParse(t, ParseByteSize, []parseCase[int64]{
		{in: "0", want: 0},
		{in: "8192", want: 8192},
		{in: " 262144 ", want: 262144},
		{in: "1_048_576", want: 1 << 20},
		{in: "+5", want: 5},
		{in: "512K", want: 512 << 10},
		{in: "512k", want: 512 << 10},
		{in: "16M", want: 16 << 20},
		{in: "1m", want: 1 << 20},
		{in: "1G", want: 1 << 30},
		{in: " 2g\n", want: 2 << 30},
		{in: "0K", want: 0},
		{in: "8589934591G", want: 8589934591 << 30},
		{in: "1.5K", err: wantSize + `"1.5K"`},
		{in: "0.5", err: wantSize + `"0.5"`},
		{in: "1KB", err: wantSize + `"1KB"`},
		{in: "1MiB", err: wantSize + `"1MiB"`},
		{in: "1T", err: wantSize + `"1T"`},
		{in: "1 K", err: wantSize + `"1 K"`},
		{in: "K", err: wantSize + `"K"`},
		{in: "", err: wantSize + `""`},
		{in: "0x10", err: wantSize + `"0x10"`},
		{in: "-1", err: `want a byte size of at least 0, got "-1"`},
		{in: "-1K", err: `want a byte size of at least 0, got "-1K"`},
		{in: "8589934592G", err: `want a byte size from 0 to 9223372036854775807, got "8589934592G"`},
		{in: "9223372036854775808", err: `want a byte size from 0 to 9223372036854775807, got "9223372036854775808"`},
	})
	atLeast1 := func(s string) (int64, error) { return ParseByteSizeRange(s, 1, math.MaxInt64) }
	runParse(t, atLeast1, []parseCase[int64]{
		{in: "1", want: 1},
		{in: "0", err: `want a byte size of at least 1, got "0"`},
		{in: "0K", err: `want a byte size of at least 1, got "0K"`},
	})
	bounded := func(s string) (int64, error) { return ParseByteSizeRange(s, -5, 1<<20) }
	runParse(t, bounded, []parseCase[int64]{
		{in: "1M", want: 1 << 20},
		{in: "1025K", err: `want a byte size from 0 to 1048576, got "1025K"`},
		{in: "-1", err: `want a byte size from 0 to 1048576, got "-1"`},
	})
}

const wantDur = "want a non-negative duration (whole seconds, or a number with a unit such as 500ms, 90s or 1m30s), got "

func TestParseDuration(t *testing.T) {
	runParse(t, ParseDuration, []parseCase[time.Duration]{
		{in: "0", want: 0},
		{in: "30", want: 30 * time.Second},
		{in: " 120 ", want: 120 * time.Second},
		{in: "1_000", want: 1000 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "90s", want: 90 * time.Second},
		{in: "2m", want: 2 * time.Minute},
		{in: "1m30s", want: 90 * time.Second},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "1h", want: time.Hour},
		{in: "0s", want: 0},
		{in: "9223372036", want: 9223372036 * time.Second},
		{in: "-1", err: wantDur + `"-1"`},
		{in: "-5s", err: wantDur + `"-5s"`},
		{in: "1.5", err: wantDur + `"1.5"`},
		{in: "0.5", err: wantDur + `"0.5"`},
		{in: "", err: wantDur + `""`},
		{in: "ten", err: wantDur + `"ten"`},
		{in: "5 s", err: wantDur + `"5 s"`},
		{in: "5sec", err: wantDur + `"5sec"`},
		{in: "9223372037", err: wantDur + `"9223372037"`},
		{in: "99999999999999999999", err: wantDur + `"99999999999999999999"`},
	})
}

const wantOctal = "want octal permissions from 0 to 0777 (such as 600, 0640 or 0o600), got "

func TestParseOctal(t *testing.T) {
	runParse(t, ParseOctal, []parseCase[os.FileMode]{
		{in: "600", want: 0o600},
		{in: "0600", want: 0o600},
		{in: "0o600", want: 0o600},
		{in: "0O600", want: 0o600},
		{in: " 0o640 \n", want: 0o640},
		{in: "0", want: 0},
		{in: "777", want: 0o777},
		{in: "0777", want: 0o777},
		{in: "7", want: 0o7},
		{in: "8", err: wantOctal + `"8"`},
		{in: "690", err: wantOctal + `"690"`},
		{in: "1000", err: wantOctal + `"1000"`},
		{in: "0o1000", err: wantOctal + `"0o1000"`},
		{in: "7777", err: wantOctal + `"7777"`},
		{in: "abc", err: wantOctal + `"abc"`},
		{in: "", err: wantOctal + `""`},
		{in: "0o", err: wantOctal + `"0o"`},
		{in: "0x1ff", err: wantOctal + `"0x1ff"`},
		{in: "-600", err: wantOctal + `"-600"`},
		{in: "rw-------", err: wantOctal + `"rw-------"`},
		{in: "99999999999999999999999", err: wantOctal + `"99999999999999999999999"`},
	})
}

// listCase is one row of a table for a converter that cannot fail.
type listCase struct {
	in   string
	want []string
}

func runList(t *testing.T, name string, f func(string) []string, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		got := f(c.in)
		if got == nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s(%q) = %#v, want %#v", name, c.in, got, c.want)
		}
	}
}

func TestParseList(t *testing.T) {
	runList(t, "ParseList", ParseList, []listCase{
		{"", []string{}},
		{" \n\t", []string{}},
		{",,", []string{}},
		{"0.0.0.0:8080", []string{"0.0.0.0:8080"}},
		{"a b", []string{"a", "b"}},
		{"a,b c", []string{"a", "b", "c"}},
		{"a, b ,,c", []string{"a", "b", "c"}},
		{"\n  127.0.0.1:8080\n  [::1]:8080\n", []string{"127.0.0.1:8080", "[::1]:8080"}},
		{"x-forwarded-for,\nx-forwarded-proto", []string{"x-forwarded-for", "x-forwarded-proto"}},
	})
}

func TestParseWords(t *testing.T) {
	runList(t, "ParseWords", ParseWords, []listCase{
		{"", []string{}},
		{"   ", []string{}},
		{"a", []string{"a"}},
		{" a  b\tc\nd ", []string{"a", "b", "c", "d"}},
		{"a,b c", []string{"a,b", "c"}},
	})
}

func TestParseSplit(t *testing.T) {
	comma := func(s string) []string { return ParseSplit(s, ",") }
	runList(t, "ParseSplit", comma, []listCase{
		{" a, b,,c, ", []string{"a", "b", "", "c", ""}},
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a b, c", []string{"a b", "c"}},
	})
	runList(t, "ParseSplit(::)", func(s string) []string { return ParseSplit(s, "::") }, []listCase{
		{"a :: b::c", []string{"a", "b", "c"}},
	})
	runList(t, "ParseSplit(empty sep)", func(s string) []string { return ParseSplit(s, "") }, []listCase{
		{" a  b ", []string{"a", "b"}},
		{"", []string{}},
	})
}

func TestParseLines(t *testing.T) {
	runList(t, "ParseLines", ParseLines, []listCase{
		{"", []string{}},
		{"\n\n  \n", []string{}},
		{"a\nb", []string{"a", "b"}},
		{"\n  egg:a#x  egg:b#y\n\n  egg:c\r\n", []string{"egg:a#x", "egg:b#y", "egg:c"}},
		{"a,b c", []string{"a,b", "c"}},
	})
}

func TestParsePathPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"   ":       "",
		"\t\n":      "",
		"app":       "/app",
		"/app":      "/app",
		"app/":      "/app",
		"//app//":   "/app",
		"a/b/":      "/a/b",
		" /a/b ":    "/a/b",
		"/a//b/":    "/a//b",
		"/":         "/",
		"///":       "/",
		" /x y/ ":   "/x y",
		"/prefix/x": "/prefix/x",
	} {
		if got := ParsePathPrefix(in); got != want {
			t.Errorf("ParsePathPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseErrorsQuoteValue checks that messages quote the value exactly as
// written, including surrounding whitespace and non-printable characters.
func TestParseErrorsQuoteValue(t *testing.T) {
	_, err := ParseInt(" four\x00 ")
	if err == nil || !strings.HasSuffix(err.Error(), `got " four\x00 "`) {
		t.Errorf("error %v does not quote the raw value", err)
	}
}
