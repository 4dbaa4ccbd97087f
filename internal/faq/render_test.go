package faq

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"**bold** and *it*", "<b>bold</b> and <i>it</i>"},
		{"**bold *both***", "<b>bold <i>both</i></b>"},
		{"*it **bold** it*", "<i>it <b>bold</b> it</i>"},
		{"a < b & c", "a &lt; b &amp; c"},
		{"5 < 6 > 4", "5 &lt; 6 &gt; 4"},
		{"line one\nline two\n\nnext", "line one line two\n\nnext"},
		{"Нужно:\n- паспорт\n- карта\n  с отметкой", "Нужно:\n• паспорт\n• карта с отметкой"},
		{"1. first\n2. second", "1. first\n2. second"},
		{"[сайт](https://mfa.gov.kg/x?a=1&b=2)", `<a href="https://mfa.gov.kg/x?a=1&amp;b=2">сайт</a>`},
		{"[звонок](tel:1966)", `<a href="tel:1966">звонок</a>`},
		{`2 \* 3 and \[x\]`, "2 * 3 and [x]"},
		{"e-mail kgembassy.ru@mfa.gov.kg", "e-mail kgembassy.ru@mfa.gov.kg"},
	}
	for _, c := range cases {
		got, err := Render(c.in)
		if err != nil || got != c.want {
			t.Errorf("Render(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestRenderRejectsUnsupportedMarkup(t *testing.T) {
	cases := []struct {
		in   string
		line int
		msg  string
	}{
		{"ok\n\n# Title", 3, "headings"},
		{"```\ncode\n```", 1, "code blocks"},
		{"> quote", 1, "quotes"},
		{"| a | b |", 1, "tables"},
		{"see ![img](https://x/y.png)", 1, "images"},
		{"run `cmd`", 1, "code"},
		{"a <b>bold</b>", 1, "HTML tags"},
		{"**open", 1, "never closed"},
		{"ok\n\n*a **b* c**", 3, "closes before"},
		{"[text](javascript:alert(1))", 1, "must start with https://"},
		{"[text] no url", 1, "no ](url) follows"},
		{"[**x**](https://a.b)", 1, "plain text"},
	}
	for _, c := range cases {
		_, err := Render(c.in)
		me, ok := err.(*MarkupError)
		if !ok || me.Line != c.line || !strings.Contains(me.Msg, c.msg) {
			t.Errorf("Render(%q) error = %v; want line %d, %q", c.in, err, c.line, c.msg)
		}
	}
}

// FuzzRender checks that whatever staff write, the output is safe for
// Telegram: tags come only from the renderer and are balanced, and no
// stray <, > or & reaches the HTML.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"**b** *i* [l](https://x.y)", "- a\n- b\n\np", "<>&\"'", `\*\[`, "1. x\n2) y", "**a *b***"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		out, err := Render(md)
		if err != nil {
			if _, ok := err.(*MarkupError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if err := wellFormed(out); err != "" {
			t.Fatalf("Render(%q) = %q: %s", md, out, err)
		}
	})
}

// wellFormed returns what is wrong with rendered HTML, or "".
func wellFormed(s string) string {
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "unterminated tag"
			}
			tag := s[i+1 : i+end]
			switch {
			case tag == "b" || tag == "i":
				stack = append(stack, tag)
			case strings.HasPrefix(tag, `a href="`) && strings.HasSuffix(tag, `"`):
				if strings.ContainsAny(tag[8:len(tag)-1], `<>"`) {
					return "unescaped href"
				}
				stack = append(stack, "a")
			case tag == "/b" || tag == "/i" || tag == "/a":
				if len(stack) == 0 || stack[len(stack)-1] != tag[1:] {
					return "unbalanced </" + tag[1:] + ">"
				}
				stack = stack[:len(stack)-1]
			default:
				return "unexpected tag <" + tag + ">"
			}
			i += end + 1
		case '>':
			return "stray >"
		case '&':
			ok := false
			for _, ent := range []string{"&amp;", "&lt;", "&gt;", "&#34;", "&#39;", "&quot;"} {
				if strings.HasPrefix(s[i:], ent) {
					ok = true
				}
			}
			if !ok {
				return "stray &"
			}
			i++
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return "unclosed <" + stack[len(stack)-1] + ">"
	}
	return ""
}

func TestVisibleLengthCountsTextNotTags(t *testing.T) {
	if n := visibleLength(`<b>Да</b> &amp; <a href="https://x">нет</a>`); n != len([]rune("Да & нет")) {
		t.Errorf("visibleLength = %d", n)
	}
}
