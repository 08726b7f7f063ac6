"""DocumentUnderstanding (ViDoRe): text queries against rendered document pages, ndcg@5 (10 tasks)."""

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import ENG_LITE, document, document_table

DOCUMENT_TASKS: tuple[TaskSpec, ...] = (
    document_table(
        "VidoreArxivQARetrieval",
        DatasetRef("vidore/arxivqa_test_subsampled", "fe2b0e055eaac82d8f6801ebc8e85d8832248133"),
        mteb2_dataset=DatasetRef("mteb/arxivqa_test_subsampled_beir", "179762404662be6bf48c30b4fb2b2ef8c6891290"),
    ),
    document_table(
        "VidoreDocVQARetrieval",
        DatasetRef("vidore/docvqa_test_subsampled", "b1d89eda849e636676df6ead8002602fb1858600"),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/docvqa_test_subsampled_beir", "e78cd130055fcb8d69bb0ff4115c4712a157f3d3"),
    ),
    document_table(
        "VidoreInfoVQARetrieval",
        DatasetRef("vidore/infovqa_test_subsampled", "fec9c59496ddf4a34e01ca8080515722bd3cf970"),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/infovqa_test_subsampled_beir", "74d396242cc281c021eeb38d0ee5f6f30afc1fad"),
    ),
    document(
        "VidoreTabfquadRetrieval",
        DatasetRef("vidore/tabfquad_test_subsampled_beir", "61a2224bcd29b7b261a4892ff4c8bea353527a31"),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/tabfquad_test_subsampled_beir", "24a4541c4c461f5ff4f4af4e97ec820715281a06"),
    ),
    document(
        "VidoreTatdqaRetrieval",
        DatasetRef("vidore/tatdqa_test_beir", "5feb5630fdff4d8d189ffedb2dba56862fdd45c0"),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/tatdqa_test_beir", "dc7924ec102addd7f85c1ccfdd8625848179f615"),
    ),
    document_table(
        "VidoreShiftProjectRetrieval",
        DatasetRef("vidore/shiftproject_test", "9e7df4c35994683a7ba88002fb22917ffa15067e"),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/shiftproject_test_beir", "78e6f5ad3bbc1af50ae9c0f006f57462213269fb"),
    ),
    document(
        "VidoreSyntheticDocQAAIRetrieval",
        DatasetRef(
            "vidore/syntheticDocQA_artificial_intelligence_test_beir", "2d9ebea5a1c6e9ef4a3b902a612f605dca11261c"
        ),
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef(
            "mteb/syntheticDocQA_artificial_intelligence_test_beir", "12c5b7a81fc19d66f1844642acdb88e8ad79af16"
        ),
    ),
    document(
        "VidoreSyntheticDocQAEnergyRetrieval",
        DatasetRef("vidore/syntheticDocQA_energy_test_beir", "9935aadbad5c8deec30910489db1b2c7133ae7a7"),
        mteb2_dataset=DatasetRef("mteb/syntheticDocQA_energy_test_beir", "eda52c9a0519252cfaacb7ae5e5da516b7d4b8cb"),
    ),
    document(
        "VidoreSyntheticDocQAGovernmentReportsRetrieval",
        DatasetRef("vidore/syntheticDocQA_government_reports_test_beir", "b4909afa930f81282fd20601e860668073ad02aa"),
        mteb2_dataset=DatasetRef(
            "mteb/syntheticDocQA_government_reports_test_beir", "ec534abea699035a18f9fd76f215277de9db9600"
        ),
    ),
    document(
        "VidoreSyntheticDocQAHealthcareIndustryRetrieval",
        DatasetRef("vidore/syntheticDocQA_healthcare_industry_test_beir", "f9e25d5b6e13e1ad9f5c3cce202565031b3ab164"),
        mteb2_dataset=DatasetRef(
            "mteb/syntheticDocQA_healthcare_industry_test_beir", "81d53880628d641aaf7365f3b2e65f57c814ecca"
        ),
    ),
)
