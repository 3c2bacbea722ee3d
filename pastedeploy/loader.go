package pastedeploy

import (
	"errors"
	"net/http"

	"github.com/gowaitress/gowaitress/config"
)

// TEMPORARY: replaced by the real loader.
type loader struct{}
type objContext struct {
	global, local *config.Settings
	protocol      Protocol
}

func load(k Kind, uri string, opts []LoadOption, fn func(*loader, *objContext) error) error {
	return errors.New("not implemented yet")
}
func (l *loader) buildApp(c *objContext) (http.Handler, error) { return nil, nil }
func (l *loader) buildFilter(c *objContext) (Filter, error)    { return nil, nil }
func (l *loader) buildServer(c *objContext) (Server, error)    { return nil, nil }
