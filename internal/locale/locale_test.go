package locale_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"migrantbot/internal/locale"
	"migrantbot/locales"
)

var langs = []string{"ky", "ru"}

func TestEmbeddedLocalesLoadInEveryLanguage(t *testing.T) {
	tr, err := locale.Load(locales.FS, langs)
	if err != nil {
		t.Fatal(err)
	}
	ky, err := tr.Lookup("ky", "Reviewed", map[string]any{"Date": "01.11.2026"})
	if err != nil || ky != "Маалымат 01.11.2026 текшерилген." {
		t.Errorf("ky Reviewed = %q, %v", ky, err)
	}
	ru, err := tr.Lookup("ru", "ButtonBack", nil)
	if err != nil || ru != "← Назад" {
		t.Errorf("ru ButtonBack = %q, %v", ru, err)
	}
}

func TestMessageInOneLanguageOnlyFailsToLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"active.ky.toml": {Data: []byte("Menu = \"Меню\"\nOnlyKy = \"бир гана\"\n")},
		"active.ru.toml": {Data: []byte("Menu = \"Меню\"\n")},
	}
	_, err := locale.Load(fsys, langs)
	if err == nil || !strings.Contains(err.Error(), `active.ru.toml: message "OnlyKy" is missing`) {
		t.Fatalf("err = %v, want the missing Russian message named", err)
	}
}

func TestKyrgyzMessagesUseKyrgyzLetters(t *testing.T) {
	data, err := locales.FS.ReadFile("active.ky.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, letter := range []string{"ң", "ө", "ү"} {
		if !strings.Contains(string(data), letter) {
			t.Errorf("active.ky.toml has no %q: Kyrgyz typed with Russian letters?", letter)
		}
	}
}

func TestUnknownMessageShowsItsID(t *testing.T) {
	tr, err := locale.Load(locales.FS, langs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Lookup("ru", "NoSuchMessage", nil); err == nil {
		t.Error("Lookup of an unknown id succeeded")
	}
	if got := tr.Text("ru", "NoSuchMessage", nil); got != "NoSuchMessage" {
		t.Errorf("Text = %q", got)
	}
}
