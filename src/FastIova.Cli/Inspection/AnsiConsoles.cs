using Spectre.Console;

namespace FastIova.Cli.Inspection;

/// <summary>Spectre.Console consoles over the command's writers: colour and live output only on a real terminal.</summary>
internal static class AnsiConsoles
{
    // Redirected output (files, CI logs, tests) is not measured by a terminal; wide enough for the tables' columns.
    private const int RedirectedWidth = 120;

    /// <summary>Whether <paramref name="writer"/> is the process's standard error and that is a terminal.</summary>
    public static bool IsErrorTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Whether <paramref name="writer"/> is the process's standard output and that is a terminal.</summary>
    public static bool IsOutputTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>A console writing to <paramref name="writer"/>; plain text unless <paramref name="terminal"/>.</summary>
    public static IAnsiConsole Create(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
