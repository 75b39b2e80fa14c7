using System.CommandLine;

namespace FastIova.Cli;

/// <summary>The root of the <c>fastiova</c> tool: its subcommands and the help text that lists the exit codes.</summary>
internal sealed class FastIovaCommand : RootCommand
{
    /// <summary>Builds the command tree.</summary>
    public FastIovaCommand()
        : base("FastIova: a Linux-exact IOVA allocator (drivers/iommu/iova.c) for .NET. " + ExitCodes.Description)
    {
        Add(new ReplayCommand());
        Add(new DemoCommand());
    }
}
