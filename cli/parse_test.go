package cli

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// cliCases is the shape of integration_test/testdata/conformance/cli/cases.json
// (see its README); only the parse cases are run here.
type cliCases struct {
	Cases []struct {
		ID     string   `json:"id"`
		Mode   string   `json:"mode"`
		Args   []string `json:"args"`
		Expect struct {
			Parsed *struct {
				ConfigURI  string            `json:"config_uri"`
				Vars       map[string]string `json:"vars"`
				AppName    *string           `json:"app_name"`
				ServerName *string           `json:"server_name"`
				Reload     bool              `json:"reload"`
				Verbose    int               `json:"verbose"`
			} `json:"parsed"`
		} `json:"expect"`
	} `json:"cases"`
}

func TestParseServeArgsConformance(t *testing.T) {
	data, err := os.ReadFile("../integration_test/testdata/conformance/cli/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cs cliCases
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cs.Cases {
		if c.Mode != "parse" {
			continue
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			if c.Args[0] != "serve" {
				t.Fatalf("case does not start with serve: %q", c.Args)
			}
			got, err := ParseServeArgs(c.Args[1:])
			if err != nil {
				t.Fatal(err)
			}
			want := c.Expect.Parsed
			deref := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			if got.ConfigURI != want.ConfigURI || !reflect.DeepEqual(got.Vars, want.Vars) || got.AppName != deref(want.AppName) ||
				got.ServerName != deref(want.ServerName) || got.Reload != want.Reload || got.Verbose != want.Verbose {
				t.Errorf("ParseServeArgs(%q)\n got %+v\nwant %+v", c.Args[1:], got, *want)
			}
		})
	}
	if n == 0 {
		t.Fatal("no parse cases found")
	}
}

func TestParseServeArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "You must give a config file"},
		{[]string{"-v", "-q"}, "You must give a config file"},
		{[]string{"app.ini", "oops"}, `Variable assignment 'oops' invalid (no "=")`},
		{[]string{"--bogus", "app.ini"}, "unknown option --bogus"},
		{[]string{"-x", "app.ini"}, "unknown option -x"},
		{[]string{"--app", "x", "app.ini"}, "unknown option --app"}, // no abbreviations
		{[]string{"app.ini", "=x"}, "Variable assignment '=x' invalid (empty name)"},
		{[]string{"app.ini", "-n"}, "option -n needs a value"},
		{[]string{"app.ini", "--server-name"}, "option --server-name needs a value"},
		{[]string{"app.ini", "--reload-interval", "0"}, "--reload-interval: want a positive whole number"},
		{[]string{"app.ini", "--reload-interval=1.5"}, "--reload-interval: want a positive whole number"},
		{[]string{"app.ini", "--app-name=x", "--nope=1"}, "unknown option --nope"},
		{[]string{"app.ini", "--reload=yes"}, "option --reload takes no value"},
		{[]string{"-b", "app.ini"}, "-b/--browser is not supported"},
		{[]string{"--server", "x", "app.ini"}, "-s/--server is not supported"},
	}
	for _, tt := range tests {
		_, err := ParseServeArgs(tt.args)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseServeArgs(%q) = %v, want usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestParseServeArgsForms(t *testing.T) {
	tests := []struct {
		args []string
		want ServeArgs
	}{
		{[]string{"-vv", "--app-name=a", "--server-name=s", "x.ini#n", "k=v=w", "--reload-interval", "2"},
			ServeArgs{ConfigURI: "x.ini#n", Vars: map[string]string{"k": "v=w"}, AppName: "a", ServerName: "s", ReloadInterval: 2 * time.Second, Verbose: 3}},
		{[]string{"-nfoo", "-qv", "app.ini"},
			ServeArgs{ConfigURI: "app.ini", Vars: map[string]string{}, AppName: "foo", ReloadInterval: time.Second, Verbose: 1}},
		{[]string{"-vn", "bar", "app.ini", "--reload"},
			ServeArgs{ConfigURI: "app.ini", Vars: map[string]string{}, AppName: "bar", Reload: true, ReloadInterval: time.Second, Verbose: 2}},
		// a '/', '?' or '#' before the first '=' makes a config URI, not a variable
		{[]string{"./x=y.ini", "a=1"},
			ServeArgs{ConfigURI: "./x=y.ini", Vars: map[string]string{"a": "1"}, ReloadInterval: time.Second, Verbose: 1}},
		{[]string{"dev.ini?http_port=8080"},
			ServeArgs{ConfigURI: "dev.ini?http_port=8080", Vars: map[string]string{}, ReloadInterval: time.Second, Verbose: 1}},
		// "--" ends the options
		{[]string{"--", "-odd.ini", "-n=1"},
			ServeArgs{ConfigURI: "-odd.ini", Vars: map[string]string{"-n": "1"}, ReloadInterval: time.Second, Verbose: 1}},
		{[]string{"-h"}, ServeArgs{Vars: map[string]string{}, ReloadInterval: time.Second, Verbose: 1, Help: true}},
	}
	for _, tt := range tests {
		got, err := ParseServeArgs(tt.args)
		if err != nil {
			t.Errorf("ParseServeArgs(%q): %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseServeArgs(%q)\n got %+v\nwant %+v", tt.args, got, tt.want)
		}
	}
}
