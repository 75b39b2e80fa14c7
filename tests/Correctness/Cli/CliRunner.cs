using System.CommandLine;
using FastIova.Cli;

namespace FastIova.Tests.Correctness.Cli;

/// <summary>Runs the <c>fastiova</c> command line in-process and captures what it writes.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = new FastIovaCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
