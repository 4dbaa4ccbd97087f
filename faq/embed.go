// Package faq holds the knowledge base files, embedded in the binary.
package faq

import "embed"

//go:embed *.yaml */*.yaml
var FS embed.FS
