// Package console is the terminal transport: `migrantbot chat` talks to the
// conversation core the way a migrant would in Telegram. Buttons show as
// numbered options; typing the number presses the button.
package console

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"migrantbot/internal/bot"
)

// ChatID is the one chat the terminal stands for.
const ChatID = 1

// Handler answers events; *bot.Bot is one.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) ([]bot.Reply, error)
}

// Chat runs a conversation over a reader and a writer.
type Chat struct {
	Bot Handler
	In  io.Reader
	Out io.Writer
	// Interactive prompts for input; otherwise each input line is echoed
	// after "> ", so that a scripted session reads as a transcript.
	Interactive bool
	// Errors receives internal errors, for the log; the user sees the polite line.
	Errors func(error)
}

// maxLine bounds one input line; longer lines are cut, not refused.
const maxLine = 64 * 1024

// Run reads until the input ends or ctx is done.
func (c *Chat) Run(ctx context.Context) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.In)
		sc.Buffer(make([]byte, 4096), maxLine)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()

	var buttons []bot.Button // the last keyboard shown, numbered from 1
	for {
		if c.Interactive {
			fmt.Fprint(c.Out, "> ")
		}
		var line string
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				if c.Interactive {
					fmt.Fprintln(c.Out)
				}
				return <-readErr
			}
			line = strings.TrimSpace(l)
		}
		if line == "" {
			continue
		}
		if !c.Interactive {
			fmt.Fprintf(c.Out, "> %s\n", line)
		}
		replies, err := c.Bot.Handle(ctx, event(line, buttons))
		if err != nil && c.Errors != nil {
			c.Errors(err)
		}
		for _, r := range replies {
			if r.Buttons != nil {
				buttons = nil
			}
			fmt.Fprintln(c.Out, PlainText(r.Text))
			for _, row := range r.Buttons {
				var cells []string
				for _, b := range row {
					buttons = append(buttons, b)
					cells = append(cells, fmt.Sprintf("[%d] %s", len(buttons), b.Label))
				}
				fmt.Fprintln(c.Out, "  "+strings.Join(cells, "   "))
			}
			fmt.Fprintln(c.Out)
		}
	}
}

// event reads one input line as the user's action.
func event(line string, buttons []bot.Button) bot.Event {
	ev := bot.Event{ChatID: ChatID, Kind: bot.EventText, Text: line}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(buttons) {
		return bot.Event{ChatID: ChatID, Kind: bot.EventButton, Data: buttons[n-1].Data}
	}
	if name, payload, ok := bot.ParseCommand(line); ok {
		ev.Kind, ev.Text, ev.Data = bot.EventCommand, name, payload
	}
	return ev
}

var (
	anchor = regexp.MustCompile(`<a href="([^"]*)">(.*?)</a>`)
	tag    = regexp.MustCompile(`</?[a-z]+>`)
)

// PlainText turns the bot's Telegram HTML into text for a terminal:
// links show their address in brackets, other tags go.
func PlainText(s string) string {
	s = anchor.ReplaceAllStringFunc(s, func(a string) string {
		m := anchor.FindStringSubmatch(a)
		if m[1] == m[2] {
			return m[2]
		}
		return m[2] + " (" + m[1] + ")"
	})
	return html.UnescapeString(tag.ReplaceAllString(s, ""))
}
