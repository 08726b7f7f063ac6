"""Any2AnyRetrieval: exact dense search between text, image and fused image+text sides (45 tasks)."""

from types import MappingProxyType

from mieb_records.tasks import DatasetRef, TaskSpec
from mieb_tasks.families import ENG_LITE, IMG_LITE, PRE_RELEASE_MIEB, image_retrieval, landmark_retrieval, retrieval

# The published scores read HatefulMemes and Memotion with the pre-release loaders (every row; Memotion's
# fixed rows removed by position), which also wrote mteb 1.39.7's statistics of them; mteb >= 1.38
# deduplicates HatefulMemes' corpus on text and filters Memotion on a missing text, as 2.x does.
HATEFUL_MEMES_PRE_RELEASE = {
    "reference_version": PRE_RELEASE_MIEB,
    "mteb2": MappingProxyType({"layout": "hateful_memes_dedup"}),
}
MEMOTION_PRE_RELEASE = {
    "reference_version": PRE_RELEASE_MIEB,
    "mteb2": MappingProxyType({"layout": "memotion_text_filter"}),
}

RETRIEVAL_TASKS: tuple[TaskSpec, ...] = (
    retrieval(
        "BLINKIT2IRetrieval",
        DatasetRef("JamieSJS/blink-it2i", "7a1a1330565faca9c1aeec6f5acfc64f21296753"),
        category="it2i",
        main_score="hit_rate_at_1",
        mteb2_dataset=DatasetRef("mteb/blink-it2i", "f399ecd9713a91c97d7e26ca3917d97b2d98b22a"),
    ),
    retrieval(
        "BLINKIT2TRetrieval",
        DatasetRef("JamieSJS/blink-it2t", "c6470936de49d6d2ae5fc09612752c75175ce5b6"),
        category="it2t",
        main_score="hit_rate_at_1",
        mteb2_dataset=DatasetRef("mteb/blink-it2t", "1ce9401bf888d851ee1b221dbb6bec718128ce00"),
    ),
    retrieval(
        "CIRRIT2IRetrieval",
        DatasetRef("MRBench/mbeir_cirr_task7", "503301cd99348035b9675883a543aa1ded0cf07c"),
        category="it2i",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_cirr_task7", "bb0713ed1ed136b2974fce68df7e26388040b650"),
    ),
    image_retrieval(
        "CUB200I2IRetrieval",
        DatasetRef("mteb/cub200_retrieval", "ad08c1307b15a226bf1b64e62656a17f1f85f7ec"),
        benchmarks=IMG_LITE,
        skip_first_result=True,
    ),
    retrieval(
        "EDIST2ITRetrieval",
        DatasetRef("MRBench/mbeir_edis_task2", "68c47ef3e49ef883073b3358bd4243eeca0aee9a"),
        category="t2it",
        mteb2_dataset=DatasetRef("mteb/mbeir_edis_task2", "afc3409142cdf1adab05336dd1bc5fd3c0a659dc"),
    ),
    retrieval(
        "Fashion200kI2TRetrieval",
        DatasetRef("MRBench/mbeir_fashion200k_task3", "96a313715ecf67f5dfe70c4fa52406bc7bdfbeee"),
        category="i2t",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_fashion200k_task3", "74e9e63bf8f802f8cfb4ba6e01f48efc4f49032c"),
    ),
    retrieval(
        "Fashion200kT2IRetrieval",
        DatasetRef("MRBench/mbeir_fashion200k_task0", "1b86e2dde50e671d5c83d07a79e8b1d8c696964b"),
        category="t2i",
        mteb2_dataset=DatasetRef("mteb/mbeir_fashion200k_task0", "725e5e2ccb114089e0070e83cdc94b83bc104d40"),
    ),
    retrieval(
        "FashionIQIT2IRetrieval",
        DatasetRef("MRBench/mbeir_fashioniq_task7", "e6f0ec70becc413d940cd62b2cfa3b1d3a08c31a"),
        category="it2i",
        mteb2_dataset=DatasetRef("mteb/mbeir_fashioniq_task7", "469fba95d895f129f1d297619835d724db01904d"),
    ),
    retrieval(
        "Flickr30kI2TRetrieval",
        DatasetRef("isaacchung/flickr30ki2t", "6984df6bd4380034e7766d9a992d8907df363efb"),
        category="i2t",
        mteb2_dataset=DatasetRef("mteb/flickr30ki2t", "e26fbfcb4532ab61e3c8512fdf3dd9008f2575bd"),
    ),
    retrieval(
        "Flickr30kT2IRetrieval",
        DatasetRef("mteb/flickr30kt2i", "e819702b287bfbe084e129a61f308a802b7c108e"),
        category="t2i",
    ),
    image_retrieval(
        "FORBI2IRetrieval",
        DatasetRef("mteb/forb_retrieval", "26ab4bd972854becada339afc80f5f3ffc047e2b"),
    ),
    image_retrieval(
        "GLDv2I2IRetrieval",
        DatasetRef("gowitheflow/gld-v2", "c6b162ee349adb293901128a18c0b446f7b43457"),
        main_score="ndcg_at_10",
        mteb2_dataset=DatasetRef("mteb/gld-v2", "04ec40ce10b27c291cbc329045ecdfd01e06c4a7"),
    ),
    retrieval(
        "GLDv2I2TRetrieval",
        DatasetRef("JamieSJS/gld-v2-i2t", "d8c3e53160860f76de73ed3041a8593672fe5928"),
        category="i2t",
        mteb2_dataset=DatasetRef("mteb/gld-v2-i2t", "20a4ca61738ba9ef70b3e1e7772ac9037286c085"),
    ),
    retrieval(
        "HatefulMemesI2TRetrieval",
        DatasetRef("Ahren09/MMSoc_HatefulMemes", "c9a9a6c3ef0765622a6de0af6ebb68f323ad73ba"),
        category="i2t",
        benchmarks=ENG_LITE,
        layout="hateful_memes",
        **HATEFUL_MEMES_PRE_RELEASE,
        mteb2_dataset=DatasetRef("mteb/MMSoc_HatefulMemes", "852290806bbf9d660f5c04c246f81ce38bfc1d48"),
    ),
    retrieval(
        "HatefulMemesT2IRetrieval",
        DatasetRef("Ahren09/MMSoc_HatefulMemes", "c9a9a6c3ef0765622a6de0af6ebb68f323ad73ba"),
        category="t2i",
        layout="hateful_memes",
        **HATEFUL_MEMES_PRE_RELEASE,
        mteb2_dataset=DatasetRef("mteb/MMSoc_HatefulMemes", "852290806bbf9d660f5c04c246f81ce38bfc1d48"),
    ),
    retrieval(
        "ImageCoDeT2IRetrieval",
        DatasetRef("JamieSJS/imagecode", "a424cd523ffb157b69a875fb5e71c1d51be54089"),
        category="t2i",
        main_score="hit_rate_at_3",
        mteb2_dataset=DatasetRef("mteb/imagecode", "3d13625935ec7e207e7e870e33a033cf51d60626"),
    ),
    retrieval(
        "InfoSeekIT2ITRetrieval",
        DatasetRef("MRBench/mbeir_infoseek_task8", "78ee7f7708aac75d3afac5dcab1c9e03cb62664c"),
        category="it2it",
        mteb2_dataset=DatasetRef("mteb/InfoSeekIT2ITRetrieval", "3baeebfd742e4130d2a75a842740ebb31ea4e6e9"),
    ),
    retrieval(
        "InfoSeekIT2TRetrieval",
        DatasetRef("MRBench/mbeir_infoseek_task6", "d4f4606f7a42bbf311c2957419ef3734fe81c47f"),
        category="it2t",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_infoseek_task6", "4510aa3b456b23f39564694e053e70492cc1de9f"),
    ),
    retrieval(
        "MemotionI2TRetrieval",
        DatasetRef("Ahren09/MMSoc_Memotion", "cdb15b61d84d56db73e0e59535dfea81ea3c22f4"),
        category="i2t",
        layout="memotion",
        **MEMOTION_PRE_RELEASE,
        mteb2_dataset=DatasetRef("mteb/MMSoc_Memotion_corrected", "15bac69b0c917ecd824b8a13827e517b83727878"),
    ),
    retrieval(
        "MemotionT2IRetrieval",
        DatasetRef("Ahren09/MMSoc_Memotion", "cdb15b61d84d56db73e0e59535dfea81ea3c22f4"),
        category="t2i",
        layout="memotion",
        **MEMOTION_PRE_RELEASE,
        mteb2_dataset=DatasetRef("mteb/MMSoc_Memotion_corrected", "15bac69b0c917ecd824b8a13827e517b83727878"),
    ),
    image_retrieval(
        "METI2IRetrieval",
        DatasetRef("JamieSJS/met", "08ceaa61c0d172214abb3b8e82971d8f69d2aec0"),
        skip_first_result=True,
        mteb2_dataset=DatasetRef("mteb/met", "c4994f2da3df0a6e20a310048a04be49da7282c3"),
    ),
    retrieval(
        "MSCOCOI2TRetrieval",
        DatasetRef("MRBench/mbeir_mscoco_task3", "cca3a3e223763e6519a4d68936bc9279034d75d2"),
        category="i2t",
        mteb2_dataset=DatasetRef("mteb/mbeir_mscoco_task3", "ec63d7122301171948387e757351fabd193fc39f"),
    ),
    retrieval(
        "MSCOCOT2IRetrieval",
        DatasetRef("MRBench/mbeir_mscoco_task0", "cfe15bd2791dde5f8f20aebecf0b4eb3812972d6"),
        category="t2i",
        mteb2_dataset=DatasetRef("mteb/mbeir_mscoco_task0", "8dfc4d250094f4e241bcb93211d6c5fbc99bb0bd"),
    ),
    image_retrieval(
        "NIGHTSI2IRetrieval",
        DatasetRef("MRBench/mbeir_nights_task4", "c9583e052be7ad52d870c62a207a2e887ba9b8aa"),
        main_score="ndcg_at_10",
        benchmarks=IMG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_nights_task4", "c798fa2f5173dc9fe0c727fd0abfd2f94cbc2f23"),
    ),
    retrieval(
        "OVENIT2ITRetrieval",
        DatasetRef("MRBench/mbeir_oven_task8", "350d14b7258189654e26a2be93dc0bd6bee09b76"),
        category="it2it",
        mteb2_dataset=DatasetRef("mteb/mbeir_oven_task8", "619847759581b2e57dfc1d68e2dadedc9599b283"),
    ),
    retrieval(
        "OVENIT2TRetrieval",
        DatasetRef("MRBench/mbeir_oven_task6", "2192074af29422bc1dc41cf07936f198b8c69bd0"),
        category="it2t",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_oven_task6", "88994735625f4ebf646eaf42096f7ba204880ac2"),
    ),
    landmark_retrieval(
        "ROxfordEasyI2IRetrieval",
        DatasetRef("JamieSJS/r-oxford-easy-multi", "4c167c3ce529f19457c9b8e694258cc6cf8e7cc7"),
        mteb2_dataset=DatasetRef("mteb/r-oxford-easy-multi", "063cf78b598275e0454311a329651eb708c6ccd7"),
    ),
    landmark_retrieval(
        "ROxfordMediumI2IRetrieval",
        DatasetRef("JamieSJS/r-oxford-medium-multi", "83bd440268e200a4f60313070618e3f45000fa94"),
        mteb2_dataset=DatasetRef("mteb/r-oxford-medium-multi", "b2f6a469e6d8126872049711e24c191f40698b04"),
    ),
    landmark_retrieval(
        "ROxfordHardI2IRetrieval",
        DatasetRef("JamieSJS/r-oxford-hard-multi", "fc7c4ae6655b1e6b132f3b262a359acef42dfce8"),
        mteb2_dataset=DatasetRef("mteb/r-oxford-hard-multi", "d9d88e44ebba295dc660a2c7b1ce618a7e953375"),
    ),
    image_retrieval(
        "RP2kI2IRetrieval",
        DatasetRef("JamieSJS/rp2k", "f8f82d4eb1aa4dc4dbf2c768596c8110a3703765"),
        benchmarks=IMG_LITE,
        skip_first_result=True,
        mteb2_dataset=DatasetRef("mteb/rp2k", "03b56e190634e7138c906d67cb356900ee50c98f"),
    ),
    landmark_retrieval(
        "RParisEasyI2IRetrieval",
        DatasetRef("JamieSJS/r-paris-easy-multi", "db94b5afd0014ab8c978f20a0fbcc52da1612a08"),
        mteb2_dataset=DatasetRef("mteb/r-paris-easy-multi", "868eac192da81e6b8e478f4d30bdb8b4a24e871b"),
    ),
    landmark_retrieval(
        "RParisMediumI2IRetrieval",
        DatasetRef("JamieSJS/r-paris-medium-multi", "372c79fc823e1cebc1d55f8e0039aa239285e177"),
        mteb2_dataset=DatasetRef("mteb/r-paris-medium-multi", "43d85ffeec4bacbfc9e1fe047e1eaf61c36fd8d6"),
    ),
    landmark_retrieval(
        "RParisHardI2IRetrieval",
        DatasetRef("JamieSJS/r-paris-hard-multi", "4e5997e48fb2f2f8bf1c8973851dedeb17e09a83"),
        mteb2_dataset=DatasetRef("mteb/r-paris-hard-multi", "8a96e2c66a1ad6d0035df60accba4838c9d4e79f"),
    ),
    retrieval(
        "SciMMIRI2TRetrieval",
        DatasetRef("m-a-p/SciMMIR", "eea276dc58c52eab33e9476acb137ff5530b78e9"),
        category="i2t",
        layout="scimmir",
        mteb2_dataset=DatasetRef("mteb/SciMMIR", "2a10b6b1f93cac7084aa809512749272cf0a893a"),
    ),
    retrieval(
        "SciMMIRT2IRetrieval",
        DatasetRef("m-a-p/SciMMIR", "eea276dc58c52eab33e9476acb137ff5530b78e9"),
        category="t2i",
        layout="scimmir",
        mteb2_dataset=DatasetRef("mteb/SciMMIR", "2a10b6b1f93cac7084aa809512749272cf0a893a"),
    ),
    image_retrieval(
        "SketchyI2IRetrieval",
        DatasetRef("JamieSJS/sketchy", "c8b8c1b7a2f0a92f1bfaaa1c9afc22aa42c61d5b"),
        mteb2_dataset=DatasetRef("mteb/sketchy", "f9456d4ef865495dacd379c7f43925f4155831bf"),
    ),
    image_retrieval(
        "SOPI2IRetrieval",
        DatasetRef("JamieSJS/stanford-online-products", "0b3a1622902e6258425e673405bdfb1e5dfa8618"),
        skip_first_result=True,
        mteb2_dataset=DatasetRef("mteb/stanford-online-products", "9556adace66a20ac7ef034b6b9dd854c0ed9779f"),
    ),
    image_retrieval(
        "StanfordCarsI2IRetrieval",
        DatasetRef("mteb/stanford_cars_retrieval", "b27a0612211af3598bd11fe28af20928f20cce06"),
        skip_first_result=True,
    ),
    retrieval(
        "TUBerlinT2IRetrieval",
        DatasetRef("gowitheflow/tu-berlin", "0cd78cd1ddbd3cafa9f319c638ebd77836ec9ff6"),
        category="t2i",
        mteb2_dataset=DatasetRef("mteb/tu-berlin", "7f2a802146c499d092669f7874044dad96384b40"),
    ),
    retrieval(
        "VisualNewsI2TRetrieval",
        DatasetRef("MRBench/mbeir_visualnews_task3", "aaee58895a66e4d619168849267ed2bb40d37043"),
        category="i2t",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_visualnews_task3", "158d0c0ce9cdd4f292964393de7dd47dc3e87519"),
    ),
    retrieval(
        "VisualNewsT2IRetrieval",
        DatasetRef("MRBench/mbeir_visualnews_task0", "94c519d850dba2b0058c2fc9b5da6142a59aa285"),
        category="t2i",
        mteb2_dataset=DatasetRef("mteb/mbeir_visualnews_task0", "6ba75433fbeb6a06d9fccb27031bcafdfb8b5de1"),
    ),
    retrieval(
        "VizWizIT2TRetrieval",
        DatasetRef("JamieSJS/vizwiz", "044af162d55f82ab603fa16ffcf7f1e4dbf300e9"),
        category="it2t",
        mteb2_dataset=DatasetRef("mteb/vizwiz", "c9a6f7bf3f5cbc8e76a29a423ba48d7b549b8d87"),
    ),
    retrieval(
        "VQA2IT2TRetrieval",
        DatasetRef("JamieSJS/vqa-2", "69882b6ba0b443dd62e633e546725b0f13b7e3aa"),
        category="it2t",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/vqa-2", "cee84d52b243da575fa9ba71501a8433464a79a1"),
    ),
    retrieval(
        "WebQAT2ITRetrieval",
        DatasetRef("MRBench/mbeir_webqa_task2", "53db4c9f9c93cb74926a1c9d04dea7d7acac2f21"),
        category="t2it",
        benchmarks=ENG_LITE,
        mteb2_dataset=DatasetRef("mteb/mbeir_webqa_task2", "8a9243d504a2039b3467abdef2208a127a5c0737"),
    ),
    retrieval(
        "WebQAT2TRetrieval",
        DatasetRef("MRBench/mbeir_webqa_task1", "468b42a2b2e767d80d2d93f5ae5d42f135a10478"),
        category="t2t",
        modalities=("text",),
        mteb2_dataset=DatasetRef("mteb/mbeir_webqa_task1", "17d2f7d42f1b3ef9293fb545b9039fcec1deab91"),
    ),
)
