package bot

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// WriteReferralsCSV writes referrals for a spreadsheet. The byte-order mark
// and CRLF line ends make Excel read the Cyrillic text as UTF-8.
func WriteReferralsCSV(w io.Writer, list []Referral) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write([]string{"number", "created", "status", "destination", "topic", "language", "source", "city", "phone", "telegram_id", "description", "history"})
	for _, r := range list {
		var history []string
		for _, h := range r.History {
			entry := h.Time.Format("2006-01-02 15:04") + " " + h.Status
			if h.By != 0 {
				entry += " by " + strconv.FormatInt(h.By, 10)
			}
			history = append(history, entry)
		}
		chat := ""
		if r.ChatID != 0 {
			chat = strconv.FormatInt(r.ChatID, 10)
		}
		cw.Write([]string{r.Number(), r.Created.Format("2006-01-02 15:04"), r.Status, r.Destination, r.Topic, r.Lang, r.Source,
			r.City, r.Phone, chat, r.Description, strings.Join(history, "; ")})
	}
	cw.Flush()
	return cw.Error()
}
