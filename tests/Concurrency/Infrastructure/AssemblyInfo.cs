// Coyote's testing engine controls one test at a time: parallel xunit collections would share its static runtime.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
