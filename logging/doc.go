// Package logging turns the logging sections of a configuration file —
// [loggers], [handlers], [formatters], [logger_*], [handler_*] and
// [formatter_*], Python's logging.config.fileConfig format as Pyramid's
// starter files use it — into a zap logger, as pserve's setup_logging does.
//
//	s, ok, err := logging.FromFile("development.ini", vars)
//	if err != nil { ... }  // every problem, each naming file, line, section and key
//	if ok {
//		defer s.Close()
//		log := s.Logger()
//		log.Named("waitress").Info("Serving on http://127.0.0.1:6543")
//	}
//
// # Routing
//
// Zap logger names are Python logger names: Named("waitress") then
// Named("queue") is "waitress.queue". An entry goes to the [logger_*]
// section whose qualname is its name or the longest dotted prefix of it, else
// to root; that logger's level (or, for NOTSET, its nearest ancestor's)
// decides whether the entry is logged; it is then written by the logger's
// handlers and, while propagate is on (the default), by those of its
// ancestors, each handler applying its own level. When no handler is found at
// all, WARNING and above go to stderr as bare messages (Python's last
// resort). Levels map DEBUG↔Debug, INFO↔Info, WARNING/WARN↔Warn,
// ERROR↔Error, CRITICAL/FATAL↔DPanic and above.
//
// # Parsing
//
// The file is read by a second parser, as Python's ConfigParser reads it:
// option names are case-insensitive, whole-line comments only (a ";" or "#"
// after a value is part of it), indented continuation lines, and %(name)s
// interpolation against the section, the file's [DEFAULT] section, the
// caller variables and the computed here and __file__ ([DEFAULT] wins over
// caller variables; here and __file__ are inserted literally). format,
// datefmt and style are read raw.
//
// # Supported
//
// Handler classes (with or without "logging."): StreamHandler (args
// (sys.stderr,), (sys.stdout,) or ()), FileHandler (filename, mode 'a' or
// 'w', encoding (UTF-8 only), delay), handlers.WatchedFileHandler (reopens
// the file when it is moved or removed), handlers.RotatingFileHandler
// (maxBytes, backupCount) and NullHandler. args and kwargs are read by a
// literal parser (tuples, lists, dicts, strings, numbers, True/False/None,
// sys.stdout, sys.stderr); nothing is evaluated.
//
// Formatters: style "%" with %(attr)<flags><width>.<precision><conversion>
// (%(levelname)-5.5s pads and truncates: "INFO ", "WARNI"), "{" ({attr},
// {attr!r}, {attr:<8}) and "$" ($attr, ${attr}); datefmt with the strftime
// directives %Y %m %d %H %M %S %y %b %B %a %A %j %p %I %z %Z %%; class empty
// or logging.Formatter, or the extension class = json (one JSON object per
// entry). Attributes: asctime, created, msecs, relativeCreated, levelname,
// levelno, name ("root" for the root logger), message, msg, lineno,
// pathname, filename, module (the Go package), funcName, threadName,
// thread, process, processName. %(message)s is the entry's message followed
// by its structured fields as " key=value" pairs (except those grouped with
// Extra, which only structured output shows); multi-line values (stack
// traces) follow on their own lines.
package logging
