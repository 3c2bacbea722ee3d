// Package pastedeploy loads PasteDeploy INI files into Go objects: the
// applications (http.Handler), filters (func(http.Handler) http.Handler)
// and servers that the sections of a file describe, built by named
// factories from a Registry.
//
// Files written for Python's pserve load unchanged once their factory names
// are registered:
//
//	[app:main]
//	use = egg:myproject            ; the factory registered as "myproject#main"
//	pyramid.includes =
//	    pyramid_debugtoolbar
//
//	[server:main]
//	use = egg:waitress#main        ; registered by package server
//	listen = localhost:6543
//
// The format and the loading rules are PasteDeploy's (see the project's
// spec/pastedeploy.md): configparser's INI dialect; [DEFAULT] merged into every
// section's global settings; %(name)s interpolation against the section,
// [DEFAULT], here, __file__ and caller variables; `use =` with section names
// and config:, egg: and call: URIs; set and get; pipelines, filter-apps,
// filter-with and composites. Everything a load needs is found and
// interpolated before the first factory runs, so a configuration mistake
// never leaves half-built objects behind, and every mistake found is
// reported, each with its file, line, section and key:
//
//	development.ini:12 [app:main] sqlalchemy.url: Bad value substitution: ...
//
// Errors are *Error values (possibly several joined in a config.Errors);
// test their kind with errors.Is(err, pastedeploy.ErrMissingSection) and
// friends.
//
// Factories register from init functions, as database/sql drivers do:
//
//	func init() {
//		pastedeploy.Register("myproject#main", pastedeploy.AppFactory(New),
//			pastedeploy.Description("the myproject web app"),
//			pastedeploy.Keys("sqlalchemy.url", "pyramid.includes"))
//	}
//
// Where gowaitress deliberately differs from PasteDeploy (a bare [app]
// section is named main, a UTF-8 BOM is skipped, cycles are reported instead
// of overflowing the stack, version pins in egg: are rejected, filter-with
// works on every application type, ...) the README lists the differences.
package pastedeploy
