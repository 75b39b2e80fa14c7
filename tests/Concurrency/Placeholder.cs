namespace FastIova.Tests.Concurrency; internal static class Placeholder { }
