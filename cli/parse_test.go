package cli

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
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
		{nil, "you must give a config file"},
		{[]string{"app.ini", "oops"}, `unexpected argument "oops"`},
		{[]string{"--bogus", "app.ini"}, "unknown option --bogus"},
		{[]string{"app.ini", "=x"}, `malformed variable "=x"`},
		{[]string{"app.ini", "-n"}, "option -n needs a value"},
		{[]string{"app.ini", "--reload-interval", "0"}, "--reload-interval: want a positive number"},
		{[]string{"app.ini", "--app-name=x", "--nope=1"}, "unknown option --nope"},
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
	got, err := ParseServeArgs([]string{"-vv", "--app-name=a", "--server-name=s", "x.ini#n", "k=v=w", "--reload-interval", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Verbose != 3 || got.AppName != "a" || got.ServerName != "s" || got.ConfigURI != "x.ini#n" || got.Vars["k"] != "v=w" || got.ReloadInterval.Seconds() != 2 {
		t.Errorf("got %+v", got)
	}
}
