using Spectre.Console;

namespace FastIova.Perf.Reporting;

/// <summary>Prints result tables with Spectre.Console; text columns left, numbers right.</summary>
internal static class ResultTable
{
    static ResultTable()
    {
        // Redirected output (a log, tee) would otherwise be wrapped at 80 columns.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 132)
        {
            AnsiConsole.Profile.Width = 132;
        }
    }

    /// <summary>Prints a titled table. Columns from <paramref name="firstNumericColumn"/> on are right-aligned.</summary>
    public static void Print(string title, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, int firstNumericColumn)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
        table.Border(TableBorder.Rounded);
        for (int i = 0; i < headers.Count; i++)
        {
            var column = new TableColumn(Markup.Escape(headers[i]));
            if (i >= firstNumericColumn)
            {
                column.RightAligned();
            }

            table.AddColumn(column);
        }

        foreach (IReadOnlyList<string> row in rows)
        {
            table.AddRow([.. row.Select(Markup.Escape)]);
        }

        AnsiConsole.Write(table);
    }

    /// <summary>Prints a plain line (escaped).</summary>
    public static void Line(string text) => AnsiConsole.WriteLine(text);

    /// <summary>Formats a rate or time with three significant-ish decimals.</summary>
    public static string Number(double value) => value switch
    {
        >= 1000 => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        >= 100 => value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
    };
}
