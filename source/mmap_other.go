//go:build !unix

package source

import "errors"

// canMapFiles says whether pack files can be mapped into memory here; where
// they cannot, blobs are read through git cat-file.
const canMapFiles = false

func mapFile(string) ([]byte, error) { return nil, errors.New("no mmap") }

func unmapFile([]byte) {}
