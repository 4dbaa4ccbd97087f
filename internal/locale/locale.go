// Package locale turns message ids into user-facing text with go-i18n.
// It is the only package that imports go-i18n.
package locale

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Translator gives messages in the bot's languages.
type Translator struct {
	localizers map[string]*i18n.Localizer
}

// Load reads active.<lang>.toml for every language from fsys. It fails when
// a message id exists in one language and not in another: a user must never
// meet an untranslated message.
func Load(fsys fs.FS, langs []string) (*Translator, error) {
	bundle := i18n.NewBundle(language.Make(langs[0]))
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	t := &Translator{localizers: map[string]*i18n.Localizer{}}
	ids := map[string]map[string]bool{} // language -> message ids
	for _, lang := range langs {
		file, err := bundle.LoadMessageFileFS(fsys, "active."+lang+".toml")
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", lang, err)
		}
		ids[lang] = map[string]bool{}
		for _, m := range file.Messages {
			ids[lang][m.ID] = true
		}
		t.localizers[lang] = i18n.NewLocalizer(bundle, lang)
	}
	var missing []string
	for _, lang := range langs {
		for _, other := range langs {
			for id := range ids[other] {
				if !ids[lang][id] {
					missing = append(missing, fmt.Sprintf("active.%s.toml: message %q is missing (it is in active.%s.toml)", lang, id, other))
				}
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s", strings.Join(missing, "; "))
	}
	return t, nil
}

// Lookup returns the message id in lang, or an error when there is none.
func (t *Translator) Lookup(lang, id string, data map[string]any) (string, error) {
	l, ok := t.localizers[lang]
	if !ok {
		return "", fmt.Errorf("no messages in language %q", lang)
	}
	return l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
}

// Text is Lookup for the conversation: a missing message shows as its id,
// which a test catches, rather than as an empty reply.
func (t *Translator) Text(lang, id string, data map[string]any) string {
	s, err := t.Lookup(lang, id, data)
	if err != nil {
		return id
	}
	return s
}
