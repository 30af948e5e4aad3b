// Package layers holds no code, only a test of the module's layering: the
// library (gen, facade, dockerconfig, kubesecret and the internal packages
// below them) never imports a program, a build tool, test support or the
// fake; programs never import build tools or test support. So a reader can
// trust the folder names: internal/programs holds what runs, and nothing
// below it reaches up.
package layers
