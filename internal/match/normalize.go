package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold lower-cases text and folds the letters people type in more than one
// way, on both sides of a match: ё→е, э→е, the Kyrgyz ң ө ү, which phones
// without a Kyrgyz keyboard turn into н о у, and ъ ь, which are often left out. Anything that is not a letter or
// digit becomes a space.
func fold(text string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		switch r {
		case 'ё', 'э':
			return 'е'
		case 'ң':
			return 'н'
		case 'ө', 'ö':
			return 'о'
		case 'ү', 'ü':
			return 'у'
		case 'ı':
			return 'ы'
		case '\'', '’', 'ʼ', '`', 'ъ', 'ь':
			return -1 // hard and soft signs, and their Latin stand-ins, are often left out
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return ' '
	}, norm.NFC.String(text))
}

// maxWordRunes is longer than any real word; longer runs of letters are cut
// so that their match keys stay few.
const maxWordRunes = 40

// words splits folded text into words.
func words(text string) []string {
	out := strings.Fields(fold(text))
	for i, w := range out {
		if utf8.RuneCountInString(w) > maxWordRunes {
			out[i] = string([]rune(w)[:maxWordRunes])
		}
	}
	return out
}

func isLatin(word string) bool {
	for _, r := range word {
		if r >= 'a' && r <= 'z' {
			return true
		}
	}
	return false
}

// latinDigraphs are read before single letters, longest first.
var latinDigraphs = []struct{ latin, cyrillic string }{
	{"shch", "щ"}, {"sch", "щ"}, {"zh", "ж"}, {"kh", "х"}, {"ch", "ч"}, {"sh", "ш"},
	{"ts", "ц"}, {"ya", "я"}, {"yu", "ю"}, {"iu", "ю"}, {"yo", "е"}, {"ye", "е"},
	{"oe", "о"}, {"ue", "у"},
}

var latinLetters = map[byte]string{
	'a': "а", 'b': "б", 'c': "ц", 'd': "д", 'e': "е", 'f': "ф", 'g': "г", 'h': "х",
	'i': "и", 'k': "к", 'l': "л", 'm': "м", 'n': "н", 'o': "о", 'p': "п", 'q': "к",
	'r': "р", 's': "с", 't': "т", 'u': "у", 'v': "в", 'w': "в", 'x': "кс", 'z': "з",
}

func isLatinVowel(c byte) bool { return strings.IndexByte("aeiouy", c) >= 0 }

// maxReadings bounds the readings of one word: each ambiguous letter
// doubles them, and "jjjj…" must not cost more than a word.
const maxReadings = 4

// readings turns a word in Latin letters into the Cyrillic words it may
// stand for. Most letters have one reading; y and i after a vowel read as й
// (kanday → кандай, trudovoy → трудовой), y elsewhere as ы (salyk → салык),
// and j is Kyrgyz ж (jumush → жумуш) or Russian й, so it gives two readings.
func readings(word string) []string {
	out := []string{""}
	for i := 0; i < len(word); {
		options, n := readLetter(word, i)
		if len(out)*len(options) > maxReadings {
			options = options[:1]
		}
		var next []string
		for _, prefix := range out {
			for _, o := range options {
				next = append(next, prefix+o)
			}
		}
		out = next
		i += n
	}
	return out
}

// readLetter reads the Latin letter or digraph at word[i]: its Cyrillic
// options and how many bytes it took.
func readLetter(word string, i int) ([]string, int) {
	for _, d := range latinDigraphs {
		if strings.HasPrefix(word[i:], d.latin) {
			return []string{d.cyrillic}, len(d.latin)
		}
	}
	c := word[i]
	afterVowel := i > 0 && isLatinVowel(word[i-1])
	beforeVowel := i+1 < len(word) && isLatinVowel(word[i+1])
	switch c {
	case 'y':
		if afterVowel && !beforeVowel {
			return []string{"й"}, 1
		}
		return []string{"ы"}, 1
	case 'i':
		if afterVowel && !beforeVowel {
			return []string{"й"}, 1
		}
		return []string{"и"}, 1
	case 'j':
		return []string{"ж", "й"}, 1
	}
	if s, ok := latinLetters[c]; ok {
		return []string{s}, 1
	}
	r, size := utf8.DecodeRuneInString(word[i:]) // a digit, or a Cyrillic letter among Latin ones
	return []string{string(r)}, size
}
