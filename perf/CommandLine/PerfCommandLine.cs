using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FastIova.Dma;
using FastIova.Perf.Benchmarks;
using FastIova.Perf.Gate;
using FastIova.Perf.Memory;
using FastIova.Perf.Align;
using FastIova.Perf.Retry;
using FastIova.Perf.Scaling;

namespace FastIova.Perf.CommandLine;

/// <summary>
/// The perf program's modes. Arguments that do not start with a mode go to BenchmarkDotNet unchanged, so
/// <c>perf --filter '*FastPath*' --job short</c> works as BenchmarkDotNet's own command line does.
/// </summary>
internal static class PerfCommandLine
{
    private static readonly string[] s_helpTokens = ["-h", "--help", "-?", "/?", "/h", "--version"];

    /// <summary>The modes this parser handles; any other first argument belongs to BenchmarkDotNet.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["bench", "scaling", "retry", "align", "memory", "save-baseline", "gate", "compare"];

    /// <summary>Runs the program.</summary>
    public static int Run(string[] args)
    {
        if (args.Length > 0 && !Modes.Contains(args[0]) && !s_helpTokens.Contains(args[0]))
        {
            return BenchmarkLauncher.Run(args);
        }

        // "bench" hands everything after it to BenchmarkDotNet untouched (its options are not ours to parse).
        if (args.Length > 0 && args[0] == "bench" && !(args.Length > 1 && s_helpTokens.Contains(args[1])))
        {
            return BenchmarkLauncher.Run([.. args.Skip(1).SkipWhile(a => a == "--")]);
        }

        return Build().Parse(args).Invoke();
    }

    /// <summary>Builds the command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "FastIova performance suite. Arguments that do not start with a mode go to BenchmarkDotNet, " +
            "e.g. `perf --filter '*FastPath*' --job short` (BenchmarkDotNet modes need `dotnet run -c Release`).");
        root.Add(BenchCommand());
        root.Add(ScalingCommand());
        root.Add(RetryCommand());
        root.Add(AlignCommand());
        root.Add(MemoryCommand());
        root.Add(SaveBaselineCommand());
        root.Add(GateCommand());
        return root;
    }

    private static Command BenchCommand()
    {
        var args = BenchmarkArgs();
        var command = new Command("bench", "Run BenchmarkDotNet with the arguments that follow (same as giving them without a mode).") { args };
        command.SetAction(result => BenchmarkLauncher.Run(result.GetValue(args) ?? []));
        return command;
    }

    private static Command ScalingCommand()
    {
        var threads = IntList("--threads", "Thread counts, comma-separated.", "1,2,4,8,16");
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per row (after a warm-up of a quarter of it, 0.1..1 s).", DefaultValueFactory = _ => 2.0 };
        var json = JsonOption("Write rows {workload, impl, threads, mops} to this JSON file.");
        var rounds = BoundedInt(
            "--rounds",
            "Rounds per workload: its thread counts run this many times, interleaved (1, 2, 1, 2, ...), and each row reports the median with the range. On a machine whose speed drifts, a ratio between two thread counts then compares runs made side by side.",
            defaultValue: 1,
            value => value is >= 1 and <= 99,
            "1..99");
        string[] knownImpls = [.. ScalingMode.Workloads.Select(w => w.Impl).Distinct()];
        var impls = new Option<string[]>("--impl")
        {
            Description = $"Only these impls, comma-separated ({string.Join(", ", knownImpls)}). Default: all.",
            AllowMultipleArgumentsPerToken = true,
            CustomParser = result =>
            {
                string[] names = SplitList(result.Tokens.Select(t => t.Value));
                foreach (string name in names.Where(name => !knownImpls.Contains(name)))
                {
                    result.AddError($"--impl: unknown impl '{name}' (known: {string.Join(", ", knownImpls)}).");
                }

                return names;
            },
        };
        var workingSet = BoundedInt(
            "--working-set",
            $"Live ranges per thread in the per-thread workloads. For analysis: one tree-path thread with N x {ScalingSettings.DefaultWorkingSet} holds the tree of N threads.",
            ScalingSettings.DefaultWorkingSet,
            value => value is >= 1 and <= 1 << 20,
            "1..1048576");
        var workingSets = BoundedInt(
            "--working-sets",
            $"Working sets per thread in the per-thread workloads, all live, worked in turns of {ScalingSettings.TurnPairs:N0} pairs. For analysis: one tree-path thread with N holds the tree that N threads taking turns on the tree lock leave.",
            1,
            value => value is >= 1 and <= 1024,
            "1..1024");
        var queueSlots = new Option<int?>("--dma-queue-slots")
        {
            Description = $"Slots per flush queue in dma-lazy, a power of two from 4 (default: the kernel's {FlushQueues.PerCpuSlots}). For analysis: a queue flushes when it fills.",
            CustomParser = result => ParseBounded(result, "--dma-queue-slots", value => value is >= 4 and <= 1 << 20 && int.IsPow2(value), "a power of two, 4..1048576"),
        };
        var command = new Command("scaling", "Throughput of the fast path, producer-consumer, global-lock and tree-path workloads on 1..T threads.")
        {
            threads, seconds, json, rounds, impls, workingSet, workingSets, queueSlots,
        };
        command.SetAction(result => ScalingMode.Run(
            result.GetValue(threads)!,
            result.GetValue(seconds),
            result.GetValue(json),
            result.GetValue(rounds),
            result.GetValue(impls) ?? [],
            new ScalingSettings(result.GetValue(workingSet), result.GetValue(workingSets), result.GetValue(queueSlots))));
        return command;
    }

    private static Command RetryCommand()
    {
        var live = IntList("--live", "Live ranges above the hole, comma-separated.", "1000,100000,1000000");
        var seconds = new Option<double>("--seconds") { Description = "Timing budget per case in seconds.", DefaultValueFactory = _ => 0.5 };
        var json = JsonOption("Write rows {workload, impl, live, limit, ns} to this JSON file.");
        var command = new Command("retry", "Time the allocation only the retry pass can satisfy, FastIova's search against the kernel's linear walk.")
        {
            live, seconds, json,
        };
        command.SetAction(result => RetryMode.Run(result.GetValue(live)!, result.GetValue(seconds), result.GetValue(json)));
        return command;
    }

    private static Command AlignCommand()
    {
        var gaps = IntList("--gaps", "Misaligned gaps above the answer, comma-separated (at most 100000).", "1000,10000,100000");
        var json = JsonOption("Write rows {workload, impl, gaps, ns} to this JSON file.");
        var command = new Command("align", "Time the augmented search's worst case: a size-aligned request below many gaps that are big enough but misaligned.")
        {
            gaps, json,
        };
        command.SetAction(result => AlignMode.Run(result.GetValue(gaps)!, result.GetValue(json)));
        return command;
    }

    private static Command MemoryCommand()
    {
        var live = new Option<int>("--live") { Description = "Live ranges to build.", DefaultValueFactory = _ => 1_000_000 };
        var json = JsonOption("Write the rows to this JSON file.");
        var command = new Command("memory", "Bytes per live range (heap growth and bytes allocated) with 1M live ranges.") { live, json };
        command.SetAction(result => MemoryMode.Run(result.GetValue(live), result.GetValue(json)));
        return command;
    }

    private static Command SaveBaselineCommand()
    {
        var output = new Option<string>("--out") { Description = "Folder that receives the full JSON exports.", Required = true };
        var args = BenchmarkArgs();
        var command = new Command("save-baseline", "Run BenchmarkDotNet (arguments after --) and save its full JSON exports as a baseline.")
        {
            output, args,
        };
        command.SetAction(result => GateMode.SaveBaseline(result.GetValue(output)!, result.GetValue(args) ?? []));
        return command;
    }

    private static Command GateCommand()
    {
        var baseline = new Option<string>("--baseline") { Description = "Baseline: a full JSON export or a folder of them (save-baseline's --out).", Required = true };
        var current = new Option<string?>("--current") { Description = "Compare this saved export or folder instead of running the benchmarks." };
        var threshold = new Option<string>("--threshold") { Description = "Smallest slowdown that counts (relative like 10% or absolute like 5ns).", DefaultValueFactory = _ => "10%" };
        var alpha = new Option<double>("--alpha") { Description = "Significance level of the Mann-Whitney test.", DefaultValueFactory = _ => 0.01 };
        var args = BenchmarkArgs();
        var command = new Command("gate", "Run the benchmarks (arguments after --) or read --current, compare with --baseline; exit 1 on a regression.")
        {
            baseline, current, threshold, alpha, args,
        };
        command.Aliases.Add("compare");
        command.SetAction(result => GateMode.Gate(
            result.GetValue(baseline)!,
            result.GetValue(current),
            result.GetValue(threshold)!,
            result.GetValue(alpha),
            result.GetValue(args) ?? []));
        return command;
    }

    private static Argument<string[]> BenchmarkArgs() => new("benchmark-args")
    {
        Description = "BenchmarkDotNet arguments, after --, e.g. -- --filter '*FastPath*' --job short",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static Option<string?> JsonOption(string description) => new("--json") { Description = description };

    // "a,b" or "a b" or both: every list option's tokens.
    private static string[] SplitList(IEnumerable<string> tokens) =>
        [.. tokens.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    // One whole number: a parse error rather than a validator's, since a validator that reads a value that did not
    // parse throws instead of reporting.
    private static Option<int> BoundedInt(string name, string description, int defaultValue, Func<int, bool> valid, string rule) => new(name)
    {
        Description = $"{description} Default: {defaultValue}.",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseBounded(result, name, valid, rule) ?? defaultValue,
    };

    private static int? ParseBounded(ArgumentResult result, string name, Func<int, bool> valid, string rule)
    {
        if (result.Tokens is [{ Value: var token }]
            && int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && valid(value))
        {
            return value;
        }

        result.AddError($"{name} must be {rule}, not '{string.Join(' ', result.Tokens.Select(t => t.Value))}'.");
        return null;
    }

    // "1,2,4" or "1 2 4" or both.
    private static Option<int[]> IntList(string name, string description, string defaultValue) => new(name)
    {
        Description = $"{description} Default: {defaultValue}.",
        AllowMultipleArgumentsPerToken = true,
        DefaultValueFactory = _ => ParseInts([defaultValue], out string? _)!,
        CustomParser = result =>
        {
            int[]? values = ParseInts(result.Tokens.Select(t => t.Value), out string? error);
            if (error is not null)
            {
                result.AddError(error);
            }

            return values ?? [];
        },
    };

    private static int[]? ParseInts(IEnumerable<string> tokens, out string? error)
    {
        var values = new List<int>();
        foreach (string part in SplitList(tokens))
        {
            if (!int.TryParse(part.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value <= 0)
            {
                error = $"'{part}' is not a positive whole number.";
                return null;
            }

            values.Add(value);
        }

        // A repeated value would give two rows under one key, and the ratio tables look rows up by key.
        error = values.Count == 0 ? "Give at least one number." : null;
        return error is null ? [.. values.Distinct()] : null;
    }
}
