package pastedeploy_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

func TestSectionSettings(t *testing.T) {
	dir := t.TempDir()
	ini := `[DEFAULT]
port = 6543
name = file

[pserve]
watch_files =
    %(here)s/templates/*.pt
    other.txt
greeting = hi %(name)s
get listen = port
set extra = 1
port = dropped because DEFAULT has it
bad = %(nope)s

[other]
x = %(name)s
`
	path := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(path, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		section   string
		vars      map[string]string
		wantLocal map[string]string
		wantKeys  []string
		wantErr   []string
	}{
		{name: "variables beat DEFAULT in interpolation", section: "other", vars: map[string]string{"name": "caller"},
			wantLocal: map[string]string{"x": "caller"}, wantKeys: []string{"x"}},
		{name: "DEFAULT without variables", section: "other", wantLocal: map[string]string{"x": "file"}, wantKeys: []string{"x"}},
		{name: "missing section is empty", section: "nosuch", wantLocal: map[string]string{}},
		{name: "interpolation error names file, section and key", section: "pserve",
			wantErr: []string{"app.ini:13 [pserve] bad", "'nope'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pastedeploy.SectionSettings(path, tt.section, pastedeploy.WithVars(tt.vars))
			if tt.wantErr != nil {
				if !errors.Is(err, pastedeploy.ErrInterpolation) {
					t.Fatalf("err = %v, want an interpolation error", err)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Local.Map(), tt.wantLocal) {
				t.Errorf("local = %v, want %v", got.Local.Map(), tt.wantLocal)
			}
			if tt.wantKeys != nil && !reflect.DeepEqual(got.Local.Keys(), tt.wantKeys) {
				t.Errorf("keys = %v, want %v", got.Local.Keys(), tt.wantKeys)
			}
		})
	}

	// get keeps the position of its line; set goes to the global settings.
	fixed := strings.Replace(ini, "bad = %(nope)s\n", "", 1)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := pastedeploy.SectionSettings("config:"+path+"#ignored", "pserve")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"watch_files", "greeting", "listen"}; !reflect.DeepEqual(got.Local.Keys(), want) {
		t.Errorf("keys = %v, want %v", got.Local.Keys(), want)
	}
	if v := got.Local.String("watch_files"); v != "\n"+dir+"/templates/*.pt\nother.txt" {
		t.Errorf("watch_files = %q", v)
	}
	if got.Local.String("listen") != "6543" || got.Global.String("extra") != "1" || got.Local.Has("extra") {
		t.Errorf("get/set: local %v, global %v", got.Local.Map(), got.Global.Map())
	}
}
