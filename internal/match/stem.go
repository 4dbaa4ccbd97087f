package match

import (
	"strings"
	"unicode/utf8"

	"github.com/kljensen/snowball/russian"
)

// russianStem is the Snowball stem of a Russian word (регистрации → регистрац).
func russianStem(word string) string { return russian.Stem(word, false) }

// kyrgyzSuffixes are endings the Kyrgyz stemmer strips, already folded
// (ө→о, ү→у, ң→н), so one entry covers the vowel-harmony variants that differ
// only in those letters. Longest first within the list that uses them.
var kyrgyzSuffixes = func() []string {
	list := strings.Fields(`
		ыныздар инийздер уунуздар
		ыныз иниз унуз
		дагы деги догу тагы теги тогу
		ндан нден ндон
		ыбыз ибиз убуз
		дан ден дон тан тен тон нан нен нон
		нын нин нун дын дин дун тын тин тун
		лар лер лор дар дер дор тар тер тор
		ган ген гон кан кен кон
		гым гим гум кым ким кум
		мын мин мун сыз сиз суз быз биз буз
		шат шет шот ышат ишет
		чу чи
		га ге го ка ке ко
		да де до та те то нда нде ндо
		ны ни ну ды ди ду ты ти ту
		бы би бу пы пи пу
		ба бе бо па пе по
		ып ип уп
		са се со
		ам ем ом ым им ум
		ат ет от
		уу ыш иш уш
		сы си су
		ын ин ун
	`)
	// Longest first, so that a longer ending wins over its own tail.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && utf8.RuneCountInString(list[j]) > utf8.RuneCountInString(list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return list
}()

// kyrgyzVowelEndings are one-letter possessive and case endings (борбору →
// борбор); being short, they are stripped only from longer words.
const kyrgyzVowelEndings = "ыиуаео"

// kyrgyzStem strips Kyrgyz case, plural, possessive, question and common
// verb endings (Бишкектеги → бишкек, каттоого → катт, керекпи → керек),
// keeping at least three letters of the word.
func kyrgyzStem(word string) string {
	for strips := 0; strips < 4; strips++ {
		n := utf8.RuneCountInString(word)
		stripped := false
		for _, suffix := range kyrgyzSuffixes {
			if strings.HasSuffix(word, suffix) && n-utf8.RuneCountInString(suffix) >= 3 {
				word = strings.TrimSuffix(word, suffix)
				stripped = true
				break
			}
		}
		if !stripped && n >= 6 {
			if last, size := utf8.DecodeLastRuneInString(word); strings.ContainsRune(kyrgyzVowelEndings, last) {
				word = word[:len(word)-size]
				stripped = true
			}
		}
		if !stripped {
			break
		}
	}
	return word
}

// skeleton is a word without its vowels: typos in unstressed vowels
// (дагавор, медасмотр, регестрация) keep the consonants of the word.
func skeleton(word string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("аеиоуыюяй", r) {
			return -1
		}
		return r
	}, word)
}

// prefix is the first n letters of a word.
func prefix(word string, n int) string {
	i := 0
	for pos := range word {
		if i == n {
			return word[:pos]
		}
		i++
	}
	return word
}

// deletions are the word with one letter left out, for typos of one letter:
// two words that share a deletion are at most two edits apart.
func deletions(word string) []string {
	runes := []rune(word)
	out := make([]string, 0, len(runes))
	for i := range runes {
		out = append(out, string(runes[:i])+string(runes[i+1:]))
	}
	return out
}
