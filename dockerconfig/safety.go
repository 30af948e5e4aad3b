package dockerconfig

import "errors"

// errNoConfig stops Writer.read early when there is no file to read.
var errNoConfig = errors.New("dockerconfig: no config file")
