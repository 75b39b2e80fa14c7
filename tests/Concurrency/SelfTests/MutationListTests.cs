using Xunit;

namespace FastIova.Tests.Concurrency.SelfTests;

/// <summary>
/// Every planted bug in <c>mutations.txt</c> still applies to the library as it is: its old text occurs exactly once
/// in its file. <c>mutations.sh</c> stops on one that does not, but it runs only by hand; a refactoring that moves the
/// planted text would otherwise leave a mutation that tests nothing until then (one did, for two stops).
/// </summary>
public sealed class MutationListTests
{
    [Fact]
    public void EveryMutation_FindsItsOldTextOnceInItsFile()
    {
        string root = RepositoryRoot();
        var mutations = Parse(File.ReadAllLines(Path.Combine(root, "tests", "Concurrency", "mutations.txt")));

        Assert.True(mutations.Count >= 30, $"only {mutations.Count} mutations parsed");
        Assert.All(mutations, mutation =>
        {
            string text = File.ReadAllText(Path.Combine(root, mutation.File)).ReplaceLineEndings("\n");
            int found = Occurrences(text, mutation.Old);
            Assert.True(found == 1, $"mutation {mutation.Name}: its old text occurs {found} times in {mutation.File}");
        });
    }

    // The format mutations.sh parses: "=== mutation NAME", "file: PATH", "--- old", lines, "--- new", lines, "=== end".
    private static List<(string Name, string File, string Old)> Parse(string[] lines)
    {
        var mutations = new List<(string, string, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("=== mutation ", StringComparison.Ordinal))
                continue;
            string name = lines[i]["=== mutation ".Length..].Trim(), file = "";
            var old = new List<string>();
            string? section = null;
            for (i++; lines[i] != "=== end"; i++)
            {
                if (lines[i] is "--- old" or "--- new")
                    section = lines[i][4..];
                else if (section == "old")
                    old.Add(lines[i]);
                else if (section is null && lines[i].StartsWith("file:", StringComparison.Ordinal))
                    file = lines[i]["file:".Length..].Trim();
            }

            mutations.Add((name, file, string.Join("\n", old)));
        }

        return mutations;
    }

    private static int Occurrences(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastIova.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"No FastIova.sln above {AppContext.BaseDirectory}.");
    }
}
