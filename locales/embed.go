// Package locales holds the bot's messages in every language, embedded in the binary.
package locales

import "embed"

//go:embed *.toml
var FS embed.FS
