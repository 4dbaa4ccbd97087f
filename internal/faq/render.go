package faq

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MarkupError is markup in an answer that the renderer does not support.
// Line counts from 1 at the answer's first line.
type MarkupError struct {
	Line int
	Msg  string
}

func (e *MarkupError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var (
	listItem   = regexp.MustCompile(`^(?:[-*•]|\d{1,2}[.)])\s+`)
	linkTarget = regexp.MustCompile(`^(?:https?://|tel:|mailto:)[^\s()<>"]+$`)
)

// Render turns an answer written in the FAQ's small Markdown subset into
// Telegram's HTML subset. Supported: paragraphs (a blank line between),
// list items ("- item" or "1. item"), **bold**, *italic*, [text](https://…),
// tel: and mailto: links, and \ before a character to show it as it is.
// Anything else that looks like markup is an error, so that staff see it in
// `faq check` instead of users seeing stray asterisks.
func Render(md string) (string, error) {
	var out []string
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		start := i
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			i++
		}
		block, err := renderBlock(lines[start:i], start+1)
		if err != nil {
			return "", err
		}
		out = append(out, block)
	}
	return strings.Join(out, "\n\n"), nil
}

// renderBlock renders lines without a blank line between them: paragraph
// lines are joined with spaces, each list item goes on a line of its own.
func renderBlock(lines []string, firstLine int) (string, error) {
	type piece struct {
		bullet string
		text   string
		line   int
	}
	var pieces []piece
	for n, raw := range lines {
		line := firstLine + n
		s := strings.TrimSpace(raw)
		if err := blockMarkup(s, line); err != nil {
			return "", err
		}
		if m := listItem.FindString(s); m != "" {
			bullet := "•"
			if c := m[0]; c >= '0' && c <= '9' {
				bullet = strings.TrimSpace(m)
			}
			pieces = append(pieces, piece{bullet: bullet, text: s[len(m):], line: line})
			continue
		}
		if len(pieces) > 0 {
			pieces[len(pieces)-1].text += " " + s // a continuation line
			continue
		}
		pieces = append(pieces, piece{text: s, line: line})
	}
	var out []string
	for _, p := range pieces {
		text, err := renderInline(p.text, p.line)
		if err != nil {
			return "", err
		}
		if p.bullet != "" {
			text = p.bullet + " " + text
		}
		out = append(out, text)
	}
	return strings.Join(out, "\n"), nil
}

func blockMarkup(s string, line int) error {
	switch {
	case strings.HasPrefix(s, "#"):
		return &MarkupError{line, "headings (#) are not supported; use **bold**"}
	case strings.HasPrefix(s, "```"):
		return &MarkupError{line, "code blocks (```) are not supported"}
	case strings.HasPrefix(s, ">"):
		return &MarkupError{line, "quotes (>) are not supported"}
	case strings.HasPrefix(s, "|"):
		return &MarkupError{line, "tables (|) are not supported; use a list"}
	}
	return nil
}

// renderInline renders emphasis, links and escapes within one paragraph or
// list item. A continuation line is reported at the item's first line.
func renderInline(s string, line int) (string, error) {
	var b strings.Builder
	var open []string // emphasis markers still open, innermost last
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			r, size := utf8.DecodeRuneInString(s[i+1:])
			b.WriteString(html.EscapeString(string(r)))
			i += 1 + size
		case strings.HasPrefix(s[i:], "**"), s[i] == '*':
			marker := "*"
			// "***" after "**x *y" closes the italic first, then the bold.
			closesItalic := strings.HasPrefix(s[i:], "***") && len(open) > 0 && open[len(open)-1] == "*"
			if strings.HasPrefix(s[i:], "**") && !closesItalic {
				marker = "**"
			}
			tag := map[string]string{"**": "b", "*": "i"}[marker]
			switch {
			case len(open) > 0 && open[len(open)-1] == marker:
				open = open[:len(open)-1]
				b.WriteString("</" + tag + ">")
			case slices.Contains(open, marker):
				return "", &MarkupError{line, fmt.Sprintf("%s closes before the markup opened inside it", marker)}
			default:
				open = append(open, marker)
				b.WriteString("<" + tag + ">")
			}
			i += len(marker)
		case strings.HasPrefix(s[i:], "!["):
			return "", &MarkupError{line, "images are not supported"}
		case s[i] == '`':
			return "", &MarkupError{line, "code (`) is not supported"}
		case s[i] == '<' && i+1 < len(s) && (isASCIILetter(s[i+1]) || s[i+1] == '/'):
			return "", &MarkupError{line, "HTML tags are not supported; use **bold**, *italic* and [text](url)"}
		case s[i] == '[':
			text, url, n, err := link(s[i:], line)
			if err != nil {
				return "", err
			}
			b.WriteString(`<a href="` + html.EscapeString(url) + `">` + html.EscapeString(text) + "</a>")
			i += n
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(html.EscapeString(string(r)))
			i += size
		}
	}
	if len(open) > 0 {
		return "", &MarkupError{line, fmt.Sprintf("%s is opened but never closed (write \\%s for the character itself)", open[len(open)-1], open[len(open)-1])}
	}
	return b.String(), nil
}

// link reads "[text](url)" at the start of s and returns how many bytes it took.
func link(s string, line int) (text, url string, n int, err error) {
	end := strings.Index(s, "](")
	if end < 0 {
		return "", "", 0, &MarkupError{line, "[ starts a link but no ](url) follows (write \\[ for the character itself)"}
	}
	close := strings.IndexByte(s[end:], ')')
	if close < 0 {
		return "", "", 0, &MarkupError{line, "a link's (url) is not closed with )"}
	}
	text, url = s[1:end], s[end+2:end+close]
	if text == "" || strings.ContainsAny(text, "[]*") {
		return "", "", 0, &MarkupError{line, fmt.Sprintf("link text %q must be plain text", text)}
	}
	if !linkTarget.MatchString(url) {
		return "", "", 0, &MarkupError{line, fmt.Sprintf("link target %q must start with https://, http://, tel: or mailto:", url)}
	}
	return text, url, end + close + 1, nil
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// visibleLength is how many characters Telegram counts in rendered HTML:
// the text without tags, entities as one character.
func visibleLength(rendered string) int {
	inTag := false
	var b strings.Builder
	for _, r := range rendered {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return utf8.RuneCountInString(html.UnescapeString(b.String()))
}
