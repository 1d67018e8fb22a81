// std::ios_base_library_init() for a libstdc++ older than GCC 13's (Debian 12 has GCC 12's): GCC 13 code calls it to
// construct the standard streams, where older code put a static std::ios_base::Init in each file. Built without
// symbol versions, so the dynamic linker accepts it for libLibTorchSharp.so's GLIBCXX_3.4.32 reference (see
// ../README.md); libstdc++ counts ios_base::Init objects, so one more is harmless.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
