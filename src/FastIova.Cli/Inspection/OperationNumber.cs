using System.CommandLine.Parsing;

namespace FastIova.Cli.Inspection;

/// <summary>The <c>--at OP</c> option shared by the inspection commands.</summary>
internal static class OperationNumber
{
    /// <summary>Rejects an operation number below 1.</summary>
    public static void Validate(OptionResult result)
    {
        if (result.GetValueOrDefault<long?>() is < 1)
        {
            result.AddError("--at must be at least 1 (operations are numbered from 1).");
        }
    }
}
