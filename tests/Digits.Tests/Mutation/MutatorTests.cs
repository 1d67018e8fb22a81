using System.Text;
using Digits.Tests.Support;
using Xunit;

namespace Digits.Tests.Mutation;

/// <summary>The mutation engine itself: a case replays from (seed, index) alone, and every kind of mutation occurs.
/// </summary>
public sealed class MutatorTests
{
    private static readonly MutationSource[] Sources =
    [
        new("binary", Enumerable.Range(0, 200).Select(i => (byte)i).ToArray(), [new Field("count", 4, 4)]),
        new("text", Encoding.ASCII.GetBytes("P2 5 3 255\n1 2 3 4 5\n6 7 8 9 10\n11 12 13 14 15\n")),
    ];

    [Fact]
    public void A_case_replays_from_its_seed_and_index_alone()
    {
        var run = new Mutator(7).Mutations(Sources).Take(300).ToList();
        foreach (int index in new[] { 0, 1, 150, 299 })
        {
            var replay = new Mutator(7).Mutate(Sources, index);
            Assert.Equal(run[index].Bytes, replay.Bytes);
            Assert.Equal(run[index].Description, replay.Description);
            Assert.StartsWith($"seed 7, case {index} on '", replay.Description);
        }
        Assert.NotEqual(run[5].Bytes, new Mutator(8).Mutate(Sources, 5).Bytes);
    }

    [Fact]
    public void Every_kind_of_mutation_occurs_and_the_sources_are_left_unchanged()
    {
        byte[] before = [.. Sources[0].Bytes];
        string all = string.Join("\n", new Mutator(1).Mutations(Sources).Take(2000).Select(m => m.Description));
        foreach (string kind in new[] { "truncate to", "drop the last", "flip bits", "overwrite [", "insert", "delete",
                     "copy", "× 0x", "bytes at", "set count (offset 4, 4 bytes BE)", "replace the number" })
            Assert.Contains(kind, all);
        Assert.Contains("to 2147483647 (0x7FFFFFFF)", all);
        Assert.Equal(before, Sources[0].Bytes);
    }
}
