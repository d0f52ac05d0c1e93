package ztest

// TB is the part of testing.TB that StartEnsemble uses. *testing.T,
// *testing.B and any testing.TB satisfy it; a program that is not a test
// (cmd/zkbench's ensemble bench) passes its own, whose Fatal and Skip end
// the start-up in its own way and whose TempDir and Cleanup are its own.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Failed() bool
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
}
