"""The table of family facts (``mieb_records.families``) is the one source: the catalogue, the data
layer's readers, the pipelines, the fingerprints and the reference gate all agree with it, and a
task declaring an unknown or mismatched layout is refused when it is declared."""

from __future__ import annotations

import pytest

from harness.catalogue.queries import all_tasks, get_task
from harness.data.fingerprints import KINDS
from harness.data.views import READERS
from harness.gating.references import tolerance_for
from harness.pipelines import PIPELINES
from mieb_records.errors import UnknownNameError
from mieb_records.families import FAMILY_FACTS, LAYOUTS, PAPER_CATEGORY_OF_TYPE, VIEWS
from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import retrieval, zero_shot

REF = DatasetRef("org/data", "0" * 40)


def test_every_fact_names_something_that_exists():
    assert set(READERS) == set(LAYOUTS)
    assert set(LAYOUTS.values()) == set(VIEWS)
    for facts in FAMILY_FACTS:
        assert facts.pipeline in PIPELINES, facts
        assert facts.fingerprint in KINDS, facts
        assert LAYOUTS[facts.layout] == facts.view, facts
    types = [t for facts in FAMILY_FACTS for t in facts.types]
    assert len(types) == len(set(types)) == 10
    # MIEB's 8 categories, each reported for one family
    assert len({facts.paper_category for facts in FAMILY_FACTS}) == len(FAMILY_FACTS) == 8


def test_the_catalogue_reads_its_family_facts():
    tasks = all_tasks()
    assert {t.type for t in tasks} == set(PAPER_CATEGORY_OF_TYPE)
    assert all(LAYOUTS[t.layout] == t.facts.view for t in tasks)
    assert get_task("VOC2007").layout == "multilabel"  # a declared layout of the family's view
    assert get_task("CIFAR10").layout == "labeled"  # the family's own
    assert PAPER_CATEGORY_OF_TYPE["Any2AnyMultilingualRetrieval"] == "Retrieval"
    assert (tolerance_for(get_task("CIFAR10")), tolerance_for(get_task("CIFAR10Clustering"))) == (0.02, 0.03)
    assert tolerance_for(get_task("CIFAR10ZeroShot")) == 0.01
    assert tolerance_for(get_task("CIFAR10"), 0.5) == 0.5


def test_an_unknown_layout_is_refused_when_declared_with_close_matches():
    with pytest.raises(UnknownNameError, match=r"dataset layout \(task MyRetrieval\) 'beri'.*Did you mean: beir"):
        retrieval("MyRetrieval", REF, category="t2i", layout="beri")


def test_a_layout_of_another_view_is_refused():
    with pytest.raises(ValueError, match="layout 'sts' is read into the image_pairs view, but family zeroshot"):
        zero_shot("MyZeroShot", REF, layout="sts")


def test_an_unknown_task_type_is_refused_with_close_matches():
    with pytest.raises(UnknownNameError, match="ImageClustering"):
        TaskSpec("X", "ImageCluster", "i2c", REF, ("test",), "nmi", ("image",), ())


def test_a_family_default_layout_cannot_be_restated():
    with pytest.raises(ValueError, match="layout restate the family default"):
        retrieval("MyRetrieval", REF, category="t2i", layout="beir")


def test_mteb2_overrides_are_checked_when_declared():
    with pytest.raises(UnknownNameError, match=r"task field \(in MyRetrieval's mteb2 overrides\) 'loader'"):
        retrieval("MyRetrieval", REF, category="t2i", mteb2={"loader": "vidore"})
    with pytest.raises(UnknownNameError, match="'vidor'"):
        retrieval("MyRetrieval", REF, category="t2i", mteb2={"layout": "vidor"})
    assert retrieval("MyRetrieval", REF, category="t2i", mteb2={"layout": "vidore"}).mteb2["layout"] == "vidore"
