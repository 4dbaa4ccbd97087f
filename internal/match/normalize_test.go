package match

import (
	"slices"
	"strings"
	"testing"
)

func TestWordsFoldWhatPeopleTypeInMoreThanOneWay(t *testing.T) {
	cases := map[string]string{
		"Каттоо КЕРЕКПИ?":    "каттоо керекпи",
		"күн, өкүлчүлүк":     "кун окулчулук",
		"кун, окулчулук":     "кун окулчулук",
		"Учёт, въезд, вьезд": "учет везд везд",
		"Это — ЭЛЧИЛИК!":     "ето елчилик",
	}
	for in, want := range cases {
		if got := strings.Join(words(in), " "); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLatinReadings(t *testing.T) {
	cases := map[string][]string{
		"kattoo":       {"каттоо"},
		"registraciya": {"регистрация"},
		"trudovoy":     {"трудовой"},
		"kanday":       {"кандай"},
		"salyk":        {"салык"},
		"shchet":       {"щет"},
		"skoruyu":      {"скорую"},
		"jumush":       {"жумуш", "йумуш"},
		"ailyk":        {"айлык"},
		"pаtent":       {"патент"}, // a Cyrillic а among Latin letters
	}
	for in, want := range cases {
		if got := readings(in); !slices.Equal(got, want) {
			t.Errorf("readings(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKyrgyzStemsMeetAcrossEndings(t *testing.T) {
	groups := [][]string{
		{"бишкектеги", "бишкекте", "бишкекке", "бишкек"},
		{"каттоого", "каттоодон", "каттоону"},
		{"борборго", "борбору", "борбордун", "борбор"},
		{"паспортумду", "паспортум", "паспорт"},
		{"балдарымды", "балдар"},
		{"кайткым", "кайтуу"},
	}
	for _, g := range groups {
		want := kyrgyzStem(g[0])
		for _, w := range g[1:] {
			if got := kyrgyzStem(w); got != want {
				t.Errorf("kyrgyzStem(%q) = %q, kyrgyzStem(%q) = %q: want the same stem", g[0], want, w, got)
			}
		}
	}
	if got := kyrgyzStem("ош"); got != "ош" {
		t.Errorf("a short word lost letters: %q", got)
	}
}

func TestSkeletonAndDeletions(t *testing.T) {
	if skeleton("дагавор") != skeleton("договор") {
		t.Error("vowel typo does not share the skeleton")
	}
	if !slices.Contains(deletions("увалили"), "увлили") || !slices.Contains(deletions("уволили"), "увлили") {
		t.Error("one-letter typos do not share a deletion")
	}
}

func TestLongAndAmbiguousWordsStayCheap(t *testing.T) {
	if n := len(readings(strings.Repeat("j", 60))); n > maxReadings {
		t.Errorf("%d readings of jjj…", n)
	}
	for _, w := range words(strings.Repeat("а", 10000) + " б") {
		if len([]rune(w)) > maxWordRunes {
			t.Errorf("a word of %d letters", len([]rune(w)))
		}
	}
}
