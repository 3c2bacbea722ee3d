package logging_test

import (
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/logging"
)

func ExampleFromFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "development.ini")
	os.WriteFile(path, []byte(`
[loggers]
keys = root, myproject

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[logger_myproject]
level = DEBUG
handlers =
qualname = myproject

[handler_console]
class = StreamHandler
args = (sys.stdout,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s][%(threadName)s] %(message)s
`), 0o644)

	s, ok, err := logging.FromFile(path, nil, logging.WithStreams(os.Stdout, os.Stderr))
	if err != nil || !ok {
		fmt.Println(ok, err)
		return
	}
	defer s.Close()
	log := s.Logger()
	log.Named("waitress").Info("Serving on http://127.0.0.1:6543")
	log.Named("waitress").Named("queue").Debug("hidden: root is INFO")
	log.Named("myproject").Named("views").Debug("shown: myproject is DEBUG", zap.String("path", "/"))
	log.Named("wsgi").Warn("slow request", zap.Duration("took", 1500e6))
	// Output:
	// INFO  [waitress][MainThread] Serving on http://127.0.0.1:6543
	// DEBUG [myproject.views][MainThread] shown: myproject is DEBUG path=/
	// WARNI [wsgi][MainThread] slow request took=1.5s
}
