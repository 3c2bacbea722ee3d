package config_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/gowaitress/gowaitress/config"
)

// serverSection is what the loader hands the server factory for
//
//	[server:main]            ; line 10 of production.ini
//	threads = four
//	unix_socket_perms = 0o640
//	therads = 8
func serverSection() *config.Settings {
	s := config.NewSettings()
	at := func(line int) config.Origin {
		return config.Origin{File: "production.ini", Line: line, Section: "server:main", Source: config.SourceSection}
	}
	s.Set("threads", "four", at(11))
	s.Set("unix_socket_perms", "0o640", at(12))
	s.Set("therads", "8", at(13))
	return s
}

func ExampleGetter() {
	g := config.NewGetter(serverSection())
	threads := g.IntRange("threads", 4, 1, math.MaxInt)
	perms := g.Octal("unix_socket_perms", 0o600)
	port := g.IntRange("port", 8080, 0, 65535)
	g.CheckKeys([]string{"threads", "unix_socket_perms", "port"})
	fmt.Println(threads, perms, port)
	if err := g.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 4 -rw-r----- 8080
	// production.ini:11 [server:main] threads: want an integer, got "four"
	// production.ini:13 [server:main] therads: unknown setting (did you mean "threads"?)
}

func ExampleSettings_Bool() {
	s := config.NewSettings()
	s.Set("ipv6", " Off ", config.Origin{File: "production.ini", Line: 5, Section: "server:main"})
	s.Set("expose_tracebacks", "enabled", config.Origin{File: "production.ini", Line: 6, Section: "server:main"})
	ipv6, _ := s.Bool("ipv6", true)
	ipv4, _ := s.Bool("ipv4", true) // absent: the default
	_, err := s.Bool("expose_tracebacks", false)
	fmt.Println(ipv4, ipv6)
	fmt.Println(err)
	// Output:
	// true false
	// production.ini:6 [server:main] expose_tracebacks: want a boolean (true/false, yes/no, on/off, y/n, t/f, 1/0), got "enabled"
}

func ExampleSettings_Int() {
	s := config.FromMap(map[string]string{"threads": "four", "backlog": " 1_024 "}, config.SourceCaller)
	backlog, _ := s.Int("backlog", 0)
	_, err := s.Int("threads", 4)
	var ce *config.Error
	if errors.As(err, &ce) {
		fmt.Println(backlog, ce.Origin.Key, ce.Origin.Source, ce.Msg)
	}
	// Output:
	// 1024 threads caller variable want an integer, got "four"
}

func ExampleSettings_CheckKeys() {
	err := serverSection().CheckKeys([]string{"threads", "unix_socket_perms"})
	fmt.Println(err)
	// Output:
	// production.ini:13 [server:main] therads: unknown setting (did you mean "threads"?)
}

func ExampleSettings_Require() {
	err := serverSection().Require("threads", "host")
	fmt.Println(err)
	// Output:
	// production.ini [server:main] host: required setting missing
}

func ExampleParseByteSize() {
	for _, s := range []string{"8192", "512K", "16m", "1G", "1.5K", "1KB", "-1"} {
		n, err := config.ParseByteSize(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(n)
	}
	// Output:
	// 8192
	// 524288
	// 16777216
	// 1073741824
	// want a byte size (an integer, optionally followed by K, M or G), got "1.5K"
	// want a byte size (an integer, optionally followed by K, M or G), got "1KB"
	// want a byte size of at least 0, got "-1"
}

func ExampleParseDuration() {
	for _, s := range []string{"30", "500ms", "1m30s", "1.5", "-5s"} {
		d, err := config.ParseDuration(s)
		fmt.Println(d, err)
	}
	// Output:
	// 30s <nil>
	// 500ms <nil>
	// 1m30s <nil>
	// 0s want a non-negative duration (whole seconds, or a number with a unit such as 500ms, 90s or 1m30s), got "1.5"
	// 0s want a non-negative duration (whole seconds, or a number with a unit such as 500ms, 90s or 1m30s), got "-5s"
}

func ExampleParseOctal() {
	for _, s := range []string{"600", "0640", "0o755", "8", "1000"} {
		m, err := config.ParseOctal(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%#o %v\n", uint32(m), m)
	}
	// Output:
	// 0600 -rw-------
	// 0640 -rw-r-----
	// 0755 -rwxr-xr-x
	// want octal permissions from 0 to 0777 (such as 600, 0640 or 0o600), got "8"
	// want octal permissions from 0 to 0777 (such as 600, 0640 or 0o600), got "1000"
}

func ExampleParseList() {
	fmt.Printf("%q\n", config.ParseList("127.0.0.1:8080, [::1]:8080\n  unix.example:80"))
	fmt.Printf("%q\n", config.ParseWords(" a  b,c "))
	fmt.Printf("%q\n", config.ParseSplit(" a, b,,c, ", ","))
	fmt.Printf("%q\n", config.ParseLines("\n  egg:a\n  egg:b egg:c\n"))
	// Output:
	// ["127.0.0.1:8080" "[::1]:8080" "unix.example:80"]
	// ["a" "b,c"]
	// ["a" "b" "" "c" ""]
	// ["egg:a" "egg:b" "egg:c"]
}

func ExampleParsePathPrefix() {
	for _, s := range []string{"app/", "//app//", "a/b/", "  ", "/"} {
		fmt.Printf("%q ", config.ParsePathPrefix(s))
	}
	fmt.Println()
	// Output:
	// "/app" "/app" "/a/b" "" "/"
}

func ExampleSettings_OptString() {
	s := config.FromMap(map[string]string{"ident": ""}, config.SourceGo)
	ident, ok := s.OptString("ident")
	fmt.Printf("%q %v\n", ident, ok)
	// Output:
	// "" false
}
