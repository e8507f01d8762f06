#include "pairing/words.h"

namespace mend::server {

const std::array<std::string_view, 256>& pairing_words() {
  static constexpr std::array<std::string_view, 256> kWords = {
      "acorn",   "amber",   "anchor",  "apple",   "april",   "arrow",    "aspen",    "atlas",
      "autumn",  "badge",   "bagel",   "bamboo",  "banjo",   "basil",    "beacon",   "berry",
      "birch",   "bison",   "blanket", "bloom",   "blossom", "blue",     "bonfire",  "border",
      "bottle",  "bramble", "breeze",  "brick",   "bridge",  "brook",    "bubble",   "bucket",
      "butter",  "button",  "cabin",   "cactus",  "camel",   "candle",   "canoe",    "canyon",
      "carpet",  "carrot",  "castle",  "cedar",   "cello",   "chalk",    "cherry",   "chess",
      "chime",   "cider",   "cinder",  "circle",  "citrus",  "clay",     "cliff",    "clover",
      "cobalt",  "cocoa",   "comet",   "copper",  "coral",   "cotton",   "cousin",   "cozy",
      "crane",   "crayon",  "creek",   "cricket", "crystal", "cupcake",  "daisy",    "dawn",
      "delta",   "desert",  "dew",     "dolphin", "dove",    "dragon",   "drum",     "dune",
      "eagle",   "echo",    "elder",   "ember",   "emerald", "falcon",   "feather",  "fern",
      "fiddle",  "field",   "fig",     "finch",   "fjord",   "flame",    "flint",    "flute",
      "forest",  "fossil",  "fox",     "frost",   "galaxy",  "garden",   "garnet",   "gecko",
      "ginger",  "glacier", "globe",   "golden",  "grape",   "gravel",   "grove",    "guitar",
      "harbor",  "harvest", "hazel",   "heron",   "hickory", "hill",     "honey",    "horizon",
      "island",  "ivory",   "ivy",     "jacket",  "jade",    "jasmine",  "jelly",    "jungle",
      "kayak",   "kettle",  "kite",    "koala",   "lagoon",  "lake",     "lantern",  "lark",
      "lemon",   "lilac",   "lily",    "linen",   "lotus",   "lunar",    "maple",    "marble",
      "meadow",  "melon",   "mint",    "mirror",  "misty",   "moss",     "mountain", "muffin",
      "nectar",  "nest",    "noble",   "nutmeg",  "oak",     "oasis",    "ocean",    "olive",
      "onyx",    "orbit",   "orchid",  "otter",   "owl",     "paddle",   "panda",    "paper",
      "pebble",  "pepper",  "piano",   "pillow",  "pine",    "planet",   "plum",     "pocket",
      "pond",    "poppy",   "prairie", "puzzle",  "quartz",  "quill",    "rabbit",   "rain",
      "raven",   "reef",    "ribbon",  "river",   "robin",   "rocket",   "rose",     "ruby",
      "saffron", "sage",    "sail",    "salmon",  "sand",    "sapphire", "satin",    "shell",
      "silver",  "sky",     "slate",   "snow",    "sparrow", "spice",    "spruce",   "star",
      "stone",   "storm",   "summer",  "sunset",  "swan",    "tango",    "teal",     "thistle",
      "thunder", "tiger",   "timber",  "topaz",   "tulip",   "tundra",   "turtle",   "valley",
      "velvet",  "violet",  "walnut",  "water",   "wave",    "willow",   "window",   "winter",
      "wolf",    "wren",    "yarrow",  "zebra",   "zephyr",  "harp",     "lime",     "mango",
      "acre",    "bell",    "cove",    "dusk",    "gem",     "hawk",     "kiwi",     "loom",
      "mesa",    "moon",    "palm",    "pear",    "reed",    "seal",     "tide",     "vine",
  };
  return kWords;
}

}  // namespace mend::server
