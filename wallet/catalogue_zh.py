"""The wallet's Chinese: TEXT_ZH maps the English text (as the code writes it, with its
`str.format` placeholders) to its Chinese; ERRORS_ZH maps an error code to one Chinese
sentence, shown before the ledger's English message (wallet/i18n.py). Keep the
placeholders of an entry the English ones (tests/test_wallet_i18n.py checks them, and
that every code here is one the ledger or the wallet raises)."""

from __future__ import annotations

ERRORS_ZH: dict[str, str] = {
    # ---------------------------------------------------------------- auth.*
    "auth.bad_signature": "请求签名无效，节点不予受理",
    "auth.busy": "节点繁忙，请稍后重试",
    "auth.key_rotated": "该密钥已更换或作废，不能再读取账本",
    "auth.replayed": "该请求已提交过（重放），节点不予受理",
    "auth.required": "请求缺少身份认证信息，或信息格式有误",
    "auth.stale": "请求时间与节点时间相差过大，请校准本机时钟",
    # ---------------------------------------------------------------- credit.*
    "credit.already_listed": "该债务人已在失信名单上",
    "credit.bad_criteria": "失信名单认定标准的数值超出允许范围",
    "credit.blacklisted": "该债务人已列入失信名单",
    "credit.criteria_not_met": "该债务人的记录未达到列入失信名单的标准",
    "credit.exposure_limit": "超出资金方对该债务人的大额风险暴露限额",
    "credit.issuance_limit": "超出该债务人的授信额度",
    "credit.no_exposure_limit": "未对该债务人设置大额风险暴露限额",
    "credit.no_limit": "该债务人没有授信额度",
    "credit.not_listed": "该债务人不在失信名单上",
    "credit.self": "不能为自己设置额度",
    # ---------------------------------------------------------------- issuance.*
    "issuance.already_decided": "该申请已有结果",
    "issuance.bad_amount": "金额至少为 1 分",
    "issuance.bad_extension": "展期条款超出允许的天数或次数",
    "issuance.confirmation_lapsed": "确权期限（30 天）已过，债权人须重新申请",
    "issuance.due_in_past": "到期日须晚于账本时间",
    "issuance.no_settlement_method": "请选择资产抵销、消费抵销或两者",
    "issuance.not_awaiting_confirmation": "该申请不在待确权状态",
    "issuance.not_confirmed": "只有已确权的申请才能审批",
    "issuance.not_creditor": "只有提出申请的债权人才能撤回申请",
    "issuance.not_debtor": "只有申请中列明的债务人才能办理此项",
    "issuance.self_dealing": "债权人与债务人不能是同一成员",
    "issuance.too_many_pending": "您对该债务人的待确权申请已达上限",
    "issuance.unknown_application": "没有该申请",
    # ---------------------------------------------------------------- membership.*
    "membership.already_member": "该地址已是成员",
    "membership.bad_contacts": "联系方式须为一行可打印文字，且不超过长度上限",
    "membership.bad_credit_code": "统一社会信用代码有误",
    "membership.bad_documents": "审核须列明其依据的已封存文件",
    "membership.bad_id_reference": "机构以统一社会信用代码识别，不填身份证件号",
    "membership.bad_industry": "行业代码有误",
    "membership.bad_legal_representative": "机构须写明法定代表人（负责人）",
    "membership.bad_person_type": "成员类型有误",
    "membership.bad_region": "行政区划代码有误",
    "membership.bad_roles": "角色须各列一次，并按字母顺序排列",
    "membership.cannot_hold": "监管成员不持有债权",
    "membership.credit_code_taken": "该统一社会信用代码已被其他成员使用",
    "membership.key_rotated": "这是成员已更换的旧密钥",
    "membership.key_taken": "该密钥已属于其他成员",
    "membership.last_agency": "不能暂停最后一个在册的登记机构",
    "membership.missing_role": "该成员不具备所需角色（如银行、小贷公司）",
    "membership.not_member": "该地址不是成员",
    "membership.not_suspended": "该成员未被暂停",
    "membership.same_key": "新密钥与现用密钥相同",
    "membership.suspended": "该成员已被暂停",
    "membership.unknown_document": "该文件尚未附上，请先附上文件",
    # ---------------------------------------------------------------- pledge.*
    "pledge.bad_filing_no": "中登网登记编号只能包含大写字母、数字和连字符",
    "pledge.bad_filing_period": "登记期限有误",
    "pledge.bad_loan": "贷款本金至少为 1 分",
    "pledge.bad_rate": "贷款年利率超出上限",
    "pledge.filing_expired": "登记期限已届满",
    "pledge.loan_due_in_past": "贷款到期日须晚于账本时间",
    "pledge.loan_not_due": "贷款到期之后才能实现质权",
    "pledge.no_change": "新条款与现有质押条款相同",
    "pledge.not_active": "该质押不在有效状态",
    "pledge.not_pledged": "该凭证未质押，请勿指定质权人",
    "pledge.not_pledgee": "只有质权银行才能办理此项",
    "pledge.not_pledgor": "只有出质人才能与银行变更质押",
    "pledge.part_not_less": "部分解除的金额须小于担保金额，全部解除请办理解除质押",
    "pledge.renewal_not_later": "续贷的到期日须晚于原贷款及账本时间",
    "pledge.same_loan": "续贷是新的贷款合同，请填写其编号",
    "pledge.self": "成员不能向自己出质",
    "pledge.unknown": "没有该质押",
    "pledge.wrong_bank": "该凭证质押给了另一家银行",
    # ---------------------------------------------------------------- transfer.*
    "transfer.bad_days": "签收期限天数超出允许范围",
    "transfer.lapsed": "签收期限已过，持有人可重新发起转让",
    "transfer.not_holder": "只有发起转让的持有人才能撤回",
    "transfer.not_pending": "该转让不在待签收状态",
    "transfer.not_transferee": "只有转让中列明的受让人才能签收或拒收",
    "transfer.to_debtor": "不能转让给债务人本人，请办理兑付",
    "transfer.to_self": "受让人已是持有人",
    "transfer.too_many_pending": "您向该受让人发起的待签收转让已达上限",
    "transfer.unknown": "没有该待签收转让",
    # ---------------------------------------------------------------- tx.*
    "tx.bad_signature": "交易签名无效",
    "tx.body_too_large": "交易内容超出大小上限",
    "tx.contract_inactive": "该合约版本在此高度未生效",
    "tx.expired": "交易已过有效期，请重新签署",
    "tx.expiry_too_far": "交易有效期过长",
    "tx.missing_signature": "交易缺少必需的签名",
    "tx.replay": "该交易已在账本上",
    "tx.unexpected_signature": "交易带有多余的签名",
    "tx.unknown_contract": "节点未运行该合约版本",
    "tx.unknown_operation": "该合约没有此操作",
    "tx.unsorted_signatures": "签名须按签名人排序，每人一次",
    "tx.wrong_chain": "交易是为另一条链签署的",
    # ---------------------------------------------------------------- voucher.*
    "voucher.bad_amount": "金额至少为 1 分",
    "voucher.cancelled": "该凭证已作废",
    "voucher.consumed": "该凭证状态已被拆分替代，请使用其现存部分",
    "voucher.frozen": "该凭证已被冻结，解冻前不能办理任何业务",
    "voucher.not_holder": "只有凭证持有人才能办理此项",
    "voucher.over_amount": "金额超过凭证余额",
    "voucher.parts_mismatch": "各部分金额之和与凭证金额不符",
    "voucher.pledged": "该凭证已质押",
    "voucher.reserved": "该凭证已被预留（有待处理的转让或申请）",
    "voucher.unknown": "没有该凭证",
    # ---------------------------------------------------------------- wallet.*
    "wallet.ambiguous_id": "该编号前缀对应多条记录，请多输入几位",
    "wallet.ambiguous_name": "有多个成员同名，请改用地址",
    "wallet.bad_amount": "金额格式有误（以元为单位，最多两位小数）",
    "wallet.bad_answer": "节点返回的编号并非以所给前缀开头，不予采信，未做任何操作",
    "wallet.bad_date": "日期格式有误（YYYY-MM-DD，或带时区的日期时间）",
    "wallet.bad_draft": "该文件不是交易草稿",
    "wallet.bad_id": "编号格式有误",
    "wallet.bad_mandate": "授权选项有误",
    "wallet.bad_network": "无法读取网络配置文件",
    "wallet.bad_node": "节点地址有误",
    "wallet.bad_option": "选项互相冲突",
    "wallet.bad_range": "范围格式有误（下限-上限，或单个值）",
    "wallet.bad_rate": "利率格式有误（百分数，最多两位小数）",
    "wallet.bad_trust_file": "轻客户端文件有误",
    "wallet.basis": "请只给出 --basis-file 或 --basis-sha256 之一",
    "wallet.chain_moving": "查询期间链在不断出块，请重试",
    "wallet.declined": "未签署：您选择了否",
    "wallet.document_label": "--document-label 与 --document 数量不符",
    "wallet.far_expiry": "未签署：该交易的到期高度超出当前高度过远，只能在很久之后入账",
    "wallet.holder_signs_first": "持有人尚未签署该草稿，须由持有人先签",
    "wallet.identity": "身份证件信息有误",
    "wallet.needs_cosigners": "该交易还需其他签署人签署：请用 --out 生成草稿",
    "wallet.no_directory": "该节点（轻节点）没有成员名录，请用成员地址或其前 8 位以上指明成员",
    "wallet.no_key": "请用 --key 指定密钥文件（或设置 CLAIMLEDGER_KEY）",
    "wallet.no_prefixes": "该节点不支持按编号前缀查询，请给出完整编号",
    "wallet.no_trust": "尚无轻客户端状态，请先初始化",
    "wallet.not_a_payment": "该草稿不是付款",
    "wallet.not_a_signer": "您不在该交易的必需签署人之列",
    "wallet.not_the_merchant": "该付款的收款商户不是您",
    "wallet.one_filter": "请只给出一个筛选条件",
    "wallet.one_limit": "请只给出 --max、--opt-out、--no-limit 之一",
    "wallet.other_chain": "未签署：该交易属于另一条链，并非您所用节点的链",
    "wallet.partial_filing": "请同时给出 --filing-no、--filing-from 和 --filing-until",
    "wallet.pending": "交易已提交，但在等待时间内尚未入账；稍后可查询",
    "wallet.run_first": "请先执行 `setoff run`",
    "wallet.short_id": "编号太短，请至少输入 8 位",
    "wallet.trusts_another": "轻客户端文件信任的是另一条链的创世区块",
    "wallet.unconfirmed": "未签署：没有终端可询问；请阅读上面的核对信息，再加 --yes 运行",
    "wallet.unknown_id": "没有您可查看的、以该前缀开头的记录",
    "wallet.unknown_member": "既不是成员名称或统一社会信用代码，也不是成员地址",
    "wallet.unknown_node": "network.toml 中没有该节点",
    "wallet.unknown_quote": "您的未结申请中没有该报价",
    "wallet.unknown_version": "本钱包版本不支持链上生效的合约版本，请升级钱包",
    "wallet.unreadable": "无法读取文件",
    "wallet.unwritable": "无法写入文件",
    "wallet.usage": "命令用法有误",
    "wallet.voucher_not_held": "该凭证不由您持有",
    "wallet.voucher_reserved": "该凭证已被兑付申请预留",
    "wallet.voucher_short": "凭证余额少于草稿所写金额",
    "wallet.voucher_spent": "该凭证已被使用",
    "wallet.voucher_unknown": "该凭证不存在",
    # ---------------------------------------------------------------- acquisition.*
    "acquisition.bad_expiry": "收购承诺的到期日须晚于锁定期届满日",
    "acquisition.bad_price": "每 10,000 分债权的收购价须在 1 至 10,000 分之间（不得溢价）",
    "acquisition.expired": "该收购承诺已到期",
    "acquisition.lock_in_past": "锁定期届满日须晚于账本时间",
    "acquisition.locked": "锁定期已结束：持有人现可行权，收购承诺不能撤回",
    "acquisition.not_acquirer": "只有收购方才能撤回其收购承诺",
    "acquisition.not_on_voucher": "该收购承诺不涵盖此凭证",
    "acquisition.self": "收购方不能承诺收购自己的债权",
    "acquisition.too_many": "该凭证上的收购承诺已达上限",
    "acquisition.unknown": "没有该收购承诺",
    "acquisition.withdrawn": "该收购承诺已撤回",
    # ---------------------------------------------------------------- address.*
    "address.malformed": "地址格式有误（须为 64 位十六进制数）",
    # ---------------------------------------------------------------- agent.*
    "agent.bad_duration": "时长格式有误，例如 90s、15m、2h 或 1h30m",
    "agent.bad_frame": "签名代理的应答无法识别",
    "agent.bad_request": "签名代理不受理该请求",
    "agent.bad_signature": "签名代理返回的签名与密钥不符",
    "agent.expired": "签名代理的时限已到，已不再持有密钥",
    "agent.foreign_agent": "该路径上的签名代理属于其他系统用户，未向其发送任何内容",
    "agent.foreign_peer": "该签名代理只为启动它的系统用户签署",
    "agent.malformed": "签名代理只签署规范格式的内容",
    "agent.no_socket": "签名代理无法在该路径监听",
    "agent.not_set": "未设置签名代理（CLAIMLEDGER_AGENT）；可用 "
                     "`claimledger-wallet agent start` 启动",
    "agent.unsafe_directory": "其他用户可在该目录中改名文件，签名代理不在此处监听；"
                              "请将 TMPDIR 设为您自己的目录",
    "agent.unavailable": "签名代理无应答：已到期或已停止",
    "agent.wrong_domain": "签名代理只签署交易和发往节点的请求，已拒绝",
    # ---------------------------------------------------------------- basis.*
    "basis.in_use": "该基础合同（同一文件或同一合同编号）已用于双方之间的另一笔凭证",
    # ---------------------------------------------------------------- certificate.*
    "certificate.bad_proof": "登记查询证书中的证明未通过验证",
    "certificate.inconsistent": "登记查询证书的内容前后不一致",
    # ---------------------------------------------------------------- codec.*
    "codec.field_count": "数据字段个数不符",
    "codec.malformed": "数据格式有误，无法解码",
    "codec.non_canonical": "数据不是规范编码",
    "codec.too_long": "数据超出长度上限",
    "codec.trailing_bytes": "数据末尾有多余字节",
    "codec.type": "数据字段类型有误",
    # ---------------------------------------------------------------- dispute.*
    "dispute.already_open": "该事项已有未结争议，请通过登记机构补充",
    "dispute.not_open": "该争议不在处理中",
    "dispute.not_party": "只有当事方才能提出争议",
    "dispute.other_subject": "所指争议不涉及此凭证",
    "dispute.subject_closed": "该凭证已无现存部分",
    "dispute.too_many_open": "您的未结争议已达上限，请待登记机构处理部分后再提出",
    "dispute.too_many_parts": "该凭证的现存部分过多",
    "dispute.unknown": "没有该争议",
    # ---------------------------------------------------------------- document.*
    "document.already_granted": "该成员已获准查阅此文件",
    "document.already_reader": "该成员本就是此文件的收件人",
    "document.exists": "您已附上过该文件，请以其编号引用",
    "document.hash_mismatch": "文件编号与其所有人的承诺值不符：记录已被篡改",
    "document.malformed": "文件解密后格式有误",
    "document.not_basis": "该文件不是此凭证签发申请所列的基础文件",
    "document.not_granted": "该成员没有有效的查阅授权",
    "document.not_granter": "只有授权人才能撤销查阅授权",
    "document.not_holder": "只有现存凭证的持有人才能授权查阅其基础文件",
    "document.not_party": "基础文件摘要由债权人或债务人计算",
    "document.not_reader": "您无权打开该文件（不是收件人，也未获授权）",
    "document.outsider": "该文件由本交易当事方以外的成员附上",
    "document.readers": "文件须恰好封存给各当事方、登记机构和全部监管成员",
    "document.repeated": "同一文件在交易中只能出现一次",
    "document.tampered": "该密钥打不开封存的文件密钥：已被篡改，或封存给了他人",
    "document.too_large": "文件超出大小上限（4 MiB）",
    "document.too_many": "一笔交易所附文件数已达上限",
    "document.too_many_grants": "该文件的查阅授权已达上限",
    "document.unknown": "没有附上该文件",
    "document.unpadded": "封存文件未按规定长度填充",
    "document.unsorted": "当事方须按顺序排列，每方一次",
    # ---------------------------------------------------------------- events.*
    "events.before_base": "该节点由快照启动，不保存更早区块的事件，请从其起点之后查询",
    # ---------------------------------------------------------------- fees.*
    "fees.bad_amount": "缴费金额至少为 1 分",
    "fees.bad_rate": "服务费费率超出上限",
    "fees.overpaid": "缴费金额超过该成员应付的服务费",
    # ---------------------------------------------------------------- financing.*
    "financing.already_declined": "您已婉拒该融资申请，不能再应答",
    "financing.bad_amount": "报价金额须在 1 分至申请金额之间",
    "financing.bad_expiry": "报价有效期须晚于账本时间，且不晚于申请截止时间",
    "financing.bad_funders": "资金方须各列一次，并按地址升序排列",
    "financing.bad_open_days": "融资申请的开放天数超出允许范围",
    "financing.bad_price": "贴现后价格至少为 1 分",
    "financing.bad_rate": "年利率超出上限",
    "financing.bad_recourse": "追索权条款有误：出售须写明有无追索权，贷款不设追索权",
    "financing.bad_term": "期望期限天数超出允许范围",
    "financing.closed": "该融资申请已结束",
    "financing.not_addressed": "该融资申请不是向您提出的",
    "financing.not_funder": "该成员不是资金方，不能提供此类融资",
    "financing.not_holder": "只有提出申请的持有人才能撤回",
    "financing.not_quoter": "须与出具报价的资金方共同接受报价",
    "financing.quote_expired": "该报价已失效，请向资金方重新询价",
    "financing.quote_not_live": "该报价已不再有效",
    "financing.request_lapsed": "该融资申请的开放期已过",
    "financing.self": "持有人不能向自己申请融资",
    "financing.to_debtor": "债权出售给债务人本人即为清偿，请办理兑付",
    "financing.too_many_answers": "该融资申请的应答已达上限",
    "financing.too_many_open": "您的未结融资申请已达上限，请先撤回一笔",
    "financing.unknown_quote": "没有该报价",
    "financing.unknown_request": "没有该融资申请",
    "financing.wrong_terms": "质押融资的接受不附出售文件",
    # ---------------------------------------------------------------- freeze.*
    "freeze.not_authority": "法院裁定须由监管成员或登记机构登记",
    "freeze.not_frozen": "该冻结裁定已解除",
    "freeze.unknown": "没有该冻结裁定",
    # ---------------------------------------------------------------- governance.*
    "governance.height_not_future": "合约版本须自未来的高度起生效",
    "governance.no_protocol": "该账本状态没有协议版本：不是由本版本的创世文件生成的",
    "governance.not_newer": "新的生效须有更高的版本号和更晚的高度",
    "governance.too_many": "合约版本生效记录已达上限",
    # ---------------------------------------------------------------- keystore.*
    "keystore.bad_format": "密钥与所存地址不符",
    "keystore.empty_passphrase": "密钥文件须设置口令",
    "keystore.exists": "该文件已存在，不覆盖已有密钥",
    "keystore.unreadable": "无法读取密钥文件",
    "keystore.wrong_passphrase": "口令错误，无法解开密钥文件",
    # ---------------------------------------------------------------- light.*
    "light.genesis_mismatch": "轻节点存储跟随的是另一条链，与所给 genesis.json 不符",
    "light.not_held": "轻节点尚未保存该记录",
    "light.store_corrupt": "轻节点存储已损坏",
    "light.store_in_use": "无法打开轻节点存储（可能正被占用）",
    "light.upstream_bad_answer": "上游节点的应答有误",
    "light.upstream_too_large": "上游节点的应答超出大小上限",
    "light.upstream_unreachable": "无法连接上游节点",
    # ---------------------------------------------------------------- mempool.*
    "mempool.full": "节点待处理交易已满，请稍后重试",
    "mempool.member_quota": "您待处理的交易已达上限，请待其入账后再提交",
    "mempool.member_throttled": "您的交易近期多次在区块中失败，暂被限流",
    "mempool.peer_quota": "对等节点转发的交易超出其份额",
    # ---------------------------------------------------------------- node.*
    "node.catching_up": "报告区块高度的验证节点尚不够多",
    "node.http_error": "节点返回了 HTTP 错误",
    "node.missing_contract": "节点未运行链上生效的合约版本",
    "node.no_quorum": "节点连接的验证节点权重不足三分之二",
    "node.not_pinned": "该地址不是 network.toml 所列节点的接口，无法核验其证书",
    "node.plain_http_refused": "拒绝以明文 HTTP 连接本机以外的节点，请使用 https",
    "node.stopping": "节点正在停止",
    "node.tls_unverified": "节点证书未通过验证；私有 CA 请用 --ca-file 指定",
    "node.unreachable": "无法连接节点",
    "node.unsupported_protocol": "本软件版本不支持链上生效的协议版本，请升级",
    "node.upgrade_needed": "链上即将生效新版本，请尽快升级节点",
    # ---------------------------------------------------------------- nodes.*
    "nodes.already_approved": "该运营方已批准此变更",
    "nodes.bad_expiry": "提案须在本区块之后、30 天之内到期",
    "nodes.bad_name": "验证节点须有名称",
    "nodes.bad_operator": "观察节点只能由登记机构或监管成员运营",
    "nodes.bad_peer": "节点地址格式应为 主机:端口",
    "nodes.bad_power": "验证节点的权重超出允许范围",
    "nodes.change_pending": "已有待批准的节点变更",
    "nodes.duplicate_key": "该密钥已属于另一个节点",
    "nodes.expired": "该提案已过期，须由登记机构重新提出",
    "nodes.key_in_use": "该密钥是成员地址，节点须有独立密钥",
    "nodes.last_validator": "不能移除最后一个验证节点",
    "nodes.no_change": "权重与现值相同",
    "nodes.no_registry": "该链没有验证节点名册",
    "nodes.not_operator": "只有现任验证节点的运营方才能批准",
    "nodes.too_many": "观察节点数已达上限",
    "nodes.unknown_node": "该密钥不是验证节点",
    "nodes.unknown_proposal": "没有该待批准变更",
    # ---------------------------------------------------------------- obligation.*
    "obligation.bad_amount": "金额至少为 1 分",
    "obligation.confirmation_lapsed": "确认期限（30 天）已过，债权人须重新提交",
    "obligation.not_creditor": "只有提交该债务的债权人才能撤回",
    "obligation.not_debtor": "只有该债务的债务人才能确认或拒绝",
    "obligation.not_live": "该债务不在有效状态，只有已确认的债务才计入",
    "obligation.not_party": "只有该债务的债权人和债务人才能办理此项",
    "obligation.not_pending": "该债务已不在待债务人确认状态",
    "obligation.over_amount": "金额超过所欠金额",
    "obligation.self": "成员不能对自己负债",
    "obligation.too_many_parts": "该债务已有过多部分转让他人",
    "obligation.too_many_pending": "您向该债务人提交的待确认债务已达上限",
    "obligation.unknown": "没有该债务",
    # ---------------------------------------------------------------- observer.*
    "observer.read_only": "这是只读的观察节点，请向验证节点提交",
    # ---------------------------------------------------------------- product.*
    "product.bad_amount": "金额区间有误：下限至少 1 分，且不高于上限",
    "product.bad_price": "价格区间有误：不超过上限，且下限不高于上限",
    "product.bad_recourse": "保理产品须写明有无追索权",
    "product.bad_term": "期限区间有误：1 天起，不超过上限，且下限不高于上限",
    "product.duplicate": "您已发布过同名产品，请修改该产品或另起名称",
    "product.not_funder": "该成员不是资金方：只有银行、保理公司和小贷公司发布融资产品",
    "product.not_listed": "该产品已下架",
    "product.not_owner": "只有发布产品的资金方才能修改",
    "product.too_many": "您上架的产品已达上限，请先下架一个",
    "product.unchanged": "条款与现行条款相同",
    "product.unknown": "没有该产品",
    # ---------------------------------------------------------------- proof.*
    "proof.bad_certificate": "提交证书不能确认该区块头",
    "proof.bad_proof": "证明与所示记录不符",
    "proof.bad_stream": "事件流的证明与已保存的不符",
    "proof.bad_validators": "验证节点集合与区块头不符",
    "proof.malformed": "不是经认证的区块头",
    "proof.not_next": "区块头不是受信高度的下一个",
    "proof.unknown_kind": "该类记录不提供证明",
    "proof.wrong_chain": "区块头属于另一条链",
    # ---------------------------------------------------------------- read.*
    "read.bad_draft": "该会签草稿不授予查阅此记录的权限",
    "read.forbidden": "您无权查看该记录",
    # ---------------------------------------------------------------- redemption.*
    "redemption.already_decided": "该兑付申请已有结果",
    "redemption.bad_cap": "只有消费抵销报价才设总额上限；资产按件按价",
    "redemption.bad_price": "价格至少为 1 分",
    "redemption.bad_title_ref": "消费抵销报价不列权属证书",
    "redemption.method_not_allowed": "该凭证不以此种方式抵销",
    "redemption.not_debtor": "只有发布报价的债务人才能修改",
    "redemption.not_holder": "只有提出申请的持有人才能撤销",
    "redemption.offer_taken": "该报价已被兑付：资产已售出或额度已用完",
    "redemption.offer_withdrawn": "该报价已撤回",
    "redemption.over_cap": "超出该报价的剩余额度，请减少金额",
    "redemption.shortfall_ref_required": "差额由持有人以现金支付，请填写付款编号",
    "redemption.title_in_use": "该权属证书已用于另一报价，一项资产只能报价一次",
    "redemption.title_ref_required": "资产抵销须填写权属转移的登记编号",
    "redemption.too_many_open": "您向该债务人提出的待处理兑付申请已达上限",
    "redemption.unknown_offer": "没有该报价",
    "redemption.unknown_request": "没有该兑付申请",
    "redemption.wrong_debtor": "该报价属于另一债务人，债权只能向其本身的债务人兑付",
    # ---------------------------------------------------------------- request.*
    "request.bad_body": "请求内容无法读取（分块有误）",
    "request.bad_id": "编号须为 64 位十六进制数",
    "request.bad_prefix": "编号前缀的位数不符合要求",
    "request.body_timeout": "请求内容传输过慢",
    "request.encoding_refused": "请求内容须不经压缩发送",
    "request.too_large": "请求内容超出大小上限",
    # ---------------------------------------------------------------- sale.*
    "sale.bad_contract_ref": "保理合同编号须为 1 至 256 个字符",
    "sale.bad_price": "价格须至少 1 分，且不超过面值",
    "sale.bad_rate": "年贴现率超出上限",
    "sale.due": "该债权已到期：资金方只收购未到期债权",
    "sale.no_recourse": "该债权为无追索权出售，债务人违约风险由买方承担",
    "sale.not_buyer": "只有该笔出售的买方才能办理此项",
    "sale.not_creditor": "只有该债务的债权人才能出售",
    "sale.not_funder": "该成员不是资金方：只有银行、保理公司和小贷公司收购债权",
    "sale.not_held": "买方已不再完整持有所购债权（已转出、拆分或已被清偿）",
    "sale.not_overdue": "所购债权未逾期：追索仅适用于债务人违约",
    "sale.not_sold": "该笔出售已不在有效状态",
    "sale.self": "成员不能收购自己的债权",
    "sale.to_debtor": "债权出售给债务人本人即为清偿，请办理兑付",
    "sale.unknown": "没有该笔出售",
    # ---------------------------------------------------------------- session.*
    "session.bad_link": "登录链接无效、已使用或已过期，请在钱包中重新获取",
    "session.busy": "待打开的登录链接过多，请一分钟后重试",
    # ---------------------------------------------------------------- setoff.*
    "setoff.already_consented": "该成员已同意此轮抵销",
    "setoff.bad_amount": "抵销金额至少为 1 分",
    "setoff.bad_array": "抵销方案的输入数据格式有误",
    "setoff.bad_deadline": "同意截止时间须晚于账本时间，且不超过 30 天",
    "setoff.bad_expiry": "抵销授权须晚于账本时间到期，且不超过 366 天",
    "setoff.bad_figures": "抵销轮次所列数额不一致",
    "setoff.bad_length": "抵销方案输入中债务人、债权人与金额的条数不符",
    "setoff.bad_limit": "成员须选择退出抵销或设定每轮限额，二者择一",
    "setoff.bad_mandate": "抵销授权的金额至少为 1 分",
    "setoff.bad_member": "抵销方案输入中的成员序号超出范围",
    "setoff.bad_members": "抵销方案输入中的成员数超出范围",
    "setoff.batch_done": "该批次已在账本上",
    "setoff.bilateral": "两名成员之间的互负债务不在多边抵销之列，由双方自行抵销",
    "setoff.check_failed": "抵销金额超出债务本身",
    "setoff.deadline_passed": "该轮抵销的同意截止时间已过",
    "setoff.in_open_round": "该笔债务已在另一未结抵销轮次中",
    "setoff.mandate_expired": "该成员的抵销授权已到期",
    "setoff.mandate_revoked": "该成员的抵销授权已撤销",
    "setoff.net_changed": "抵销会改变成员的净头寸",
    "setoff.no_mandate": "该成员没有可撤销的抵销授权",
    "setoff.not_concerned": "只有债务被本轮抵销的成员才能同意或拒绝",
    "setoff.not_open": "该抵销轮次已结束",
    "setoff.not_run_agency": "只有开启本次抵销运行的登记机构才能提交批次或关闭",
    "setoff.opted_out": "该成员已退出抵销，须先撤回退出（setoff limit）",
    "setoff.over_amount": "抵销金额超过该笔债务的余额",
    "setoff.over_limit": "超出该成员的每轮抵销限额",
    "setoff.over_mandate": "超出该成员授权的每次运行抵销限额",
    "setoff.plan_busy": "节点正在计算其他抵销方案，请稍后重试",
    "setoff.plan_too_large": "账本上的有效债务过多，无法计算抵销方案",
    "setoff.run_closed": "该次抵销运行已关闭",
    "setoff.run_open": "已有一次抵销运行未关闭，一次只能进行一次运行",
    "setoff.self_debt": "该笔债务由其债务人本人持有",
    "setoff.size": "一轮抵销涉及的债务笔数超出允许范围",
    "setoff.solver_failed": "抵销方案求解失败",
    "setoff.too_large": "债务笔数过多，无法计算抵销方案",
    "setoff.too_many_members": "一轮抵销涉及的成员数超出上限",
    "setoff.unknown_round": "没有该抵销轮次",
    "setoff.unknown_run": "没有该次抵销运行",
    "setoff.unsorted": "抵销项须按（类型，编号）排序，每笔债务一次",
    # ---------------------------------------------------------------- submit.*
    "submit.busy": "节点正在接收大量交易，请稍后重试",
    "submit.rate_limited": "提交过于频繁，请稍后重试",
    # ---------------------------------------------------------------- void.*
    "void.not_parties": "作废凭证须由债权人与债务人共同签署",
    "void.nothing_live": "该凭证已无现存部分：已清偿、抵销或作废",
    "void.passed_on": "凭证的部分已转出，须由登记机构裁定作废",
    "void.too_many_parts": "该凭证的现存部分过多，须待部分清偿后再作废",
    "void.unknown_voucher": "没有该已签发凭证",
}

TEXT_ZH: dict[str, str] = {
    # ---------------------------------------------------------------- the help's exit table
    """\b
Exit status:
  0  done
  1  refused or failed: the error's code is printed (with --json also on stdout,
     as {"error": {"code", "message"}})
  2  usage: a missing or malformed option or argument
  3  a proof did not verify
  4  pending: submitted, not committed within --wait; check it with `tx show ID`""":
    """\b
退出状态：
  0  完成
  1  被拒绝或失败：打印错误代码（加 --json 时也以
     {"error": {"code", "message"}} 输出到标准输出）
  2  用法有误：缺少选项或参数，或格式不对
  3  证明未通过验证
  4  待定：已提交，但在 --wait 时间内尚未入账；稍后用 `tx show ID` 查询""",
    # ---------------------------------------------------------------- words and states
    "you": "您",
    ", you)": "，您)",
    "nobody": "无",
    "none": "无",
    "(none)": "（无）",
    "Agent pid {pid} signs for {member} until {ends}":
        "签名代理（进程 {pid}）代 {member} 签署，至 {ends}",
    "Agent stopped": "签名代理已停止",
    "yes": "是",
    "no": "否",
    "signed": "已签",
    "to sign": "待签",
    "Sign this?": "确认签署？",
    "transfer": "转让",
    "pledge": "质押",
    "transfer or pledge": "转让或质押",
    "to": "转给",
    "from": "来自",
    "active": "有效",
    "consumed": "已拆分",
    "cancelled": "已注销",
    "voided": "已作废",
    "pending": "待签收",
    "refused": "已拒收",
    "withdrawn": "已撤回",
    "lapsed": "已逾期失效",
    "released": "已解除",
    "enforced": "已实现",
    "committed": "已入账",
    "rejected": "被拒绝",
    "transaction|pending": "已提交，待入账",
    "overdue": "逾期",
    "pledged": "已质押",
    "reserved": "已预留",
    "commitment": "收购承诺",
    "extended ×{times}": "已展期 ×{times}",
    "(more after {cursor})": "（后面还有，从 {cursor} 继续）",
    # ---------------------------------------------------------------- money and time
    "{yuan} ({fen} fen)": "{yuan}（{fen} 分）",
    "{time} China time": "{time}（北京时间）",
    "{day} (China time)": "{day}（北京时间）",
    "{address} (not in the directory)": "{address}（不在成员名录中）",
    # ---------------------------------------------------------------- the review screen
    "Transaction {id}: {contract} v{version} {operation} on chain {chain}, valid until "
    "height {expiry}":
        "交易 {id}：{contract} v{version} {operation}，链 {chain}，有效至高度 {expiry}",
    "Voucher {voucher} ({source}):": "凭证 {voucher}（{source}）：",
    "Voucher {voucher}: the node did not show it.": "凭证 {voucher}：节点未显示。",
    "proven at height {height} against block {block}": "已在高度 {height} 对区块 {block} 验证",
    "as the node shows it, not proven": "按节点所示，未经验证",
    "  debtor    {who}": "  债务人    {who}",
    "  holder    {who}": "  持有人    {who}",
    "  amount    {amount}, {status}": "  金额      {amount}，{status}",
    "  due by    {due}": "  到期日    {due}",
    ", overdue": "，已逾期",
    ", extended ×{times}": "，已展期 ×{times}",
    "  pledge    {pledge}": "  质押      {pledge}",
    "  pledge    {pledge}: to bank {bank}, securing {secured}, {status}":
        "  质押      {pledge}：质押给银行 {bank}，担保 {secured}，{status}",
    "  pledge    none": "  质押      无",
    "  reserved  by {by} until it is decided": "  预留      由 {by} 预留，直至其办结",
    "  reserved  no": "  预留      无",
    "  debtor's record: {outstanding} outstanding, {overdue} overdue, {late} late "
    "confirmations": "  债务人记录：未偿 {outstanding}，逾期 {overdue} 笔，迟确权 {late} 次",
    "Fee: none charged by this operation.": "服务费：该操作不收取。",
    "Fee: a service fee is charged when it commits; the node did not show how much.":
        "服务费：入账时收取；节点未显示金额。",
    "Fee: {payer} will owe the {kind} fee of the schedule in force.":
        "服务费：{payer} 将按现行费率表支付{kind}服务费。",
    "Fee: {payer} will owe the {kind} fee of the schedule in force (the node did not show "
    "the schedule).": "服务费：{payer} 将按现行费率表支付{kind}服务费（节点未显示费率表）。",
    "Fee: none (the {kind} fee rate is 0).": "服务费：无（{kind}费率为 0）。",
    "Fee: {payer} will owe the {kind} fee, {rate} of the amount.":
        "服务费：{payer} 将支付{kind}服务费，为金额的 {rate}。",
    "Fee: {payer} will owe {owed}, the {kind} fee of {rate} on {base}.":
        "服务费：{payer} 将支付 {owed}，即 {base}的{kind}服务费 {rate}。",
    "Fee: {payer} will owe {owed}, the {kind} fee of {rate} on {base}; you owe none.":
        "服务费：{payer} 将支付 {owed}，即 {base}的{kind}服务费 {rate}；您无需支付。",
    "Signers:": "签署人：",
    "Operation {operation}, as its fields say:": "操作 {operation}，各字段如下：",
    "Documents named: {documents}.": "所附文件：{documents}。",
    "The voucher is pledged to {bank}: the bank co-signs, and its pledge on the part moved "
    "ends.": "该凭证已质押给 {bank}：须由银行会签，转出部分的质押随之解除。",
    "中登网 filing: none given.": "中登网登记：未提供。",
    "中登网 filing {number}, registered from {start} until {end}.":
        "中登网登记 {number}，登记期限自 {start} 至 {end}。",
    "Transfer {amount} of voucher {voucher} from {holder} to {to}, at once: both sign this "
    "transaction (转让合同 {contract}).":
        "将凭证 {voucher} 中的 {amount} 由 {holder} 即时转让给 {to}：双方共同签署本交易"
        "（转让合同 {contract}）。",
    "Offer {amount} of voucher {voucher} from {holder} to {to} (转让合同 {contract}); the "
    "part is reserved until the transferee signs for it (签收) within {days} days.":
        "由 {holder} 向 {to} 发起转让凭证 {voucher} 中的 {amount}（转让合同 {contract}）；"
        "该部分予以预留，受让人须在 {days} 天内签收。",
    "Sign for (签收) transfer {transfer}: {amount} of voucher {voucher} from {holder} to "
    "{to} (转让合同 {contract}); offered {offered}, to be signed by {sign_by}; {status}.":
        "签收转让 {transfer}：凭证 {voucher} 中的 {amount}，由 {holder} 转给 {to}"
        "（转让合同 {contract}）；发起于 {offered}，签收期限 {sign_by}；{status}。",
    "Sign for (签收) transfer {transfer} to {to}; the node did not show the transfer.":
        "签收转让 {transfer}（受让人 {to}）；节点未显示该转让。",
    "Split voucher {voucher} of {holder} into parts of {parts}.":
        "将 {holder} 的凭证 {voucher} 拆分为：{parts}。",
    "Pledge voucher {voucher} of {holder} to bank {bank} (质押登记), securing {secured}.":
        "{holder} 将凭证 {voucher} 质押给银行 {bank}（质押登记），担保 {secured}。",
    "Loan {loan}: {amount} at {rate} a year, due by {due}.":
        "贷款 {loan}：{amount}，年利率 {rate}，到期日 {due}。",
    "obligation {obligation}": "债务 {obligation}",
    "obligation {obligation} ({debtor} owes {creditor} {amount}, due by {due})":
        "债务 {obligation}（{debtor} 欠 {creditor} {amount}，到期日 {due}）",
    "Pay merchant {merchant} {amount} with voucher {voucher} of {payer}, for order {order}; "
    "the merchant becomes holder of that part, the rest stays with the payer.":
        "以 {payer} 的凭证 {voucher} 向商户 {merchant} 支付 {amount}（订单 {order}）；"
        "商户成为该部分的持有人，余额仍归付款人。",
    "pledge {pledge}": "质押 {pledge}",
    "pledge {pledge} (no. {number}, voucher {voucher}, securing {secured})":
        "质押 {pledge}（登记编号 {number}，凭证 {voucher}，担保 {secured}）",
    "Amend {pledge} of {pledgor} with bank {bank}: it secures {secured}; loan {loan} at "
    "{rate} a year, due by {due}.":
        "{pledgor} 与银行 {bank} 变更{pledge}：担保 {secured}；贷款 {loan}，年利率 {rate}，"
        "到期日 {due}。",
    "Renew (续贷) {pledge} of {pledgor} with bank {bank}: loan {loan}, due by {due}.":
        "{pledgor} 与银行 {bank} 就{pledge}续贷：贷款 {loan}，到期日 {due}。",
    "Ask to redeem voucher {voucher} of {holder} for {price} against offer {offer}; the "
    "voucher is reserved until the debtor decides.":
        "{holder} 申请按报价 {offer} 以 {price} 兑付凭证 {voucher}；债务人决定前该凭证予以预留。",
    "Replace the signing key of {member} with the new key {key}: once committed only the "
    "new key signs for this member; both keys sign this.":
        "将 {member} 的签名密钥更换为新密钥 {key}：入账后只有新密钥能代表该成员签署；"
        "本交易由新旧两把密钥共同签署。",
    "Record {obligation} as settled outside the ledger ({reference}); both {creditor} and "
    "{debtor} sign.":
        "记录{obligation}已在账外结清（{reference}）；{creditor} 与 {debtor} 共同签署。",
    "Reduce {obligation} by {by}: {reason}; both {creditor} and {debtor} sign.":
        "将{obligation}减少 {by}：{reason}；{creditor} 与 {debtor} 共同签署。",
    "Withdraw {obligation}: {reason}; both {creditor} and {debtor} sign.":
        "撤回{obligation}：{reason}；{creditor} 与 {debtor} 共同签署。",
    "Consent, as {member}, to set-off round {round}; the node did not show the round.":
        "以 {member} 的身份同意抵销轮次 {round}；节点未显示该轮次。",
    "Consent, as {member}, to set-off round {number} ({round}): it clears {cleared} on "
    "{debts} debts once every member consents, by {deadline}.":
        "以 {member} 的身份同意第 {number} 轮抵销（{round}）：各成员均于 {deadline} 前同意后，"
        "清偿 {debts} 笔债务共 {cleared}。",
    "Of yours it clears {owed_by_you} you owe and {owed_to_you} owed to you.":
        "其中清偿您的应付 {owed_by_you}，应收 {owed_to_you}。",
    "{acquirer} commits to buy the claim of {holder} on voucher {voucher} at {price} per "
    "¥10,000.00 of claim, from {start} until {end} (terms {terms}).":
        "{acquirer} 承诺收购 {holder} 在凭证 {voucher} 上的债权，每 ¥10,000.00 债权作价 "
        "{price}，期限自 {start} 至 {end}（条款 {terms}）。",
    "Sell {amount} of voucher {voucher} of {holder} under acquisition commitment "
    "{commitment} (payment {payment}).":
        "依收购承诺 {commitment} 出售 {holder} 的凭证 {voucher} 中的 {amount}（付款 {payment}）。",
    "voucher {voucher}": "凭证 {voucher}",
    "Sell (保理) {amount} of {what} of {seller} to {buyer} for {price}, discounted at {rate} "
    "a year, {recourse} (合同 {contract}).":
        "{seller} 将{what}中的 {amount} 以 {price} 转让给 {buyer}（保理），年贴现率 {rate}，"
        "{recourse}（合同 {contract}）。",
    "with recourse": "有追索权",
    "without recourse": "无追索权",
    "{holder} accepts quote {quote} of funder {funder} (contract {contract}); the request's "
    "other quotes lapse.":
        "{holder} 接受资金方 {funder} 的报价 {quote}（合同 {contract}）；"
        "该申请的其他报价随之失效。",
    "The node did not show the quote: the pledge is registered, or the claim sold, as the "
    "quote says.": "节点未显示该报价：将按报价所述办理质押登记或出售债权。",
    "A pledge loan (质押融资) of {amount} at {rate} a year for {days} days, interest "
    "{interest}: the reserved claim of {claim} is pledged to the funder.":
        "质押融资 {amount}，年利率 {rate}，期限 {days} 天，利息 {interest}："
        "预留的 {claim} 债权质押给资金方。",
    "A sale (保理) of {amount} of claim for {price}, discounted at {rate} a year, "
    "{recourse}.": "保理：以 {price} 出售 {amount} 债权，年贴现率 {rate}，{recourse}。",
    "The quote expires {when}.": "报价于 {when} 失效。",
    "The agency {agency} admits {name} at address {address} with the roles {roles}; the "
    "member's key co-signs its admission.":
        "登记机构 {agency} 接纳 {name} 为成员，地址 {address}，角色 {roles}；"
        "该成员的密钥会签其入会。",
    "The agency {agency} gives {member} the new key {key} after review ({reason}); the lost "
    "key signs nothing after.":
        "登记机构 {agency} 经审核（{reason}）为 {member} 换发新密钥 {key}；"
        "遗失的密钥此后不能再签署。",
    "Set the credit limit (授信额度) of debtor {debtor} to {limit}":
        "将债务人 {debtor} 的授信额度设为 {limit}",
    ", agreed with bank {bank}": "，经银行 {bank} 同意",
    "; set by {agency}": "；由 {agency} 设定",
    " (reference {reference})": "（编号 {reference}）",
    ".": "。",
    "Void (作废) voucher {voucher} as agreed by creditor {creditor} and debtor {debtor}, "
    "with the agency {agency}: every live part leaves circulation.":
        "经债权人 {creditor} 与债务人 {debtor} 协商一致，由登记机构 {agency} 作废凭证 "
        "{voucher}：其所有现存部分退出流通。",
    "Reason: {reason}. Agreement document sha256 {digest}.":
        "原因：{reason}。协议文件 sha256 {digest}。",
    # ---------------------------------------------------------------- results
    " at height {height}": "，高度 {height}",
    "transferred {amount} to {to}; new part {part}": "已将 {amount} 转让给 {to}；新部分 {part}",
    "; remainder {part}": "；余额部分 {part}",
    "; nothing remains": "；无余额",
    "offered {amount} to {to} (contract {contract}): part {part} reserved":
        "已向 {to} 发起转让 {amount}（合同 {contract}）：部分 {part} 已预留",
    ", remainder {part} free": "，余额部分 {part} 可自由使用",
    "; the transferee signs within {days} days": "；受让人须在 {days} 天内签收",
    "signed for transfer {transfer} (签收): new part {part}":
        "已签收转让 {transfer}：新部分 {part}",
    "transfer {transfer} refused: {reason}; the part is free again":
        "转让 {transfer} 已被拒收：{reason}；该部分已解除预留",
    "transfer {transfer} withdrawn; the part is free again":
        "转让 {transfer} 已撤回；该部分已解除预留",
    "draft written to {out}; each required signer runs `claimledger-wallet sign {out}`, "
    "then `submit {out}`": "草稿已写入 {out}；每位必需签署人运行 "
    "`claimledger-wallet sign {out}`，然后运行 `submit {out}`",
    "document {id} ({label}): {how}": "文件 {id}（{label}）：{how}",
    "attached already, reused": "此前已附上，沿用",
    "attached by {tx}": "由交易 {tx} 附上",
    # ---------------------------------------------------------------- table headers
    "voucher": "凭证",
    "holder": "持有人",
    "debtor": "债务人",
    "creditor": "债权人",
    "amount": "金额",
    "due by": "到期日",
    "status": "状态",
    "standing": "情况",
    "with": "对方",
    "contract": "合同",
    "sign by": "签收期限",
    "id": "编号",
    "kind": "类型",
    "member": "成员",
    "price": "价格",
    "rate": "利率",
    "days": "天数",
    "since": "起始",
    "registration": "登记编号",
    "pledgor": "出质人",
    "bank": "银行",
    "secured": "担保金额",
    "loan": "贷款",
    "loan due": "贷款到期",
    "中登网": "中登网",
    "acquirer": "收购方",
    "bought": "已收购",
    "offer": "报价",
    "description": "说明",
    "request": "申请",
    "reduced": "减免后",
    "obligation": "债务",
    "owed": "应付",
    "face": "面值",
    # ---------------------------------------------------------------- answers reviewed
    "asset offset (资产抵付)": "资产抵付",
    "consumption offset (消费抵付)": "消费抵付",
    " and ": "和",
    "no method named": "未约定抵付方式",
    "applied": "已申请",
    "confirmed": "已确权",
    "Confirm (确权), as debtor {debtor}, the debt of application {application}; the node did "
    "not show the application.":
        "以债务人 {debtor} 的身份对申请 {application} 所载债务确权；节点未显示该申请。",
    "Extension clause (展期): {days} days at a time, at most {times} times.":
        "展期条款：每次展期 {days} 天，最多 {times} 次。",
    "No extension clause: what is unsettled at the due date becomes overdue and counts in "
    "your credit record.":
        "无展期条款：到期未清偿的部分即为逾期，并计入您的信用记录。",
    "Confirm (确权), as debtor {debtor}, that you owe {creditor} {amount}, due by {due}, as "
    "application {application} says (basis {basis}).":
        "以债务人 {debtor} 的身份确权：您欠 {creditor} {amount}，清偿期限 {due}，"
        "如申请 {application} 所载（债权依据 {basis}）。",
    "Settled by {methods}, never in cash.": "以{methods}方式清偿，不以现金支付。",
    "The agency then reviews it and issues the voucher to the creditor; whoever holds it "
    "later, you owe them instead.":
        "随后由登记机构审核并向债权人开具凭证；凭证日后转给谁，您即对谁负有该债务。",
    "The agency {agency} approves application {application}: the voucher is issued; the "
    "node did not show the application.":
        "登记机构 {agency} 审核通过申请 {application}，开具凭证；节点未显示该申请。",
    "The agency {agency} approves application {application} ({status}): a voucher of "
    "{amount} owed by {debtor} is issued to {creditor}, due by {due}, settled by {methods}.":
        "登记机构 {agency} 审核通过申请 {application}（{status}）：向 {creditor} 开具 "
        "{amount} 的凭证，债务人 {debtor}，清偿期限 {due}，以{methods}方式清偿。",
    "Confirm, as debtor {debtor}, {obligation}: once confirmed it counts in set-off rounds "
    "and its creditor may sell it (保理).":
        "以债务人 {debtor} 的身份确认{obligation}：确认后该债务可参与抵销轮次，"
        "债权人也可将其转让（保理）。",
    "Accept, as debtor {debtor}, redemption request {request}; the node did not show the "
    "request.":
        "以债务人 {debtor} 的身份接受抵付申请 {request}；节点未显示该申请。",
    "offer {offer}": "抵付项目 {offer}",
    "offer {offer} ({kind}: {description})": "抵付项目 {offer}（{kind}：{description}）",
    "Accept, as debtor {debtor}, redemption request {request} of {holder}: you deliver "
    "{what} at the agreed price {price}, and voucher {voucher} is reduced by it (at most its "
    "whole claim; the holder pays any shortfall in money).":
        "以债务人 {debtor} 的身份接受 {holder} 的抵付申请 {request}：您按约定价格 {price} "
        "交付{what}，凭证 {voucher} 相应减少（至多减至全部债权；不足部分由持有人以货币补足）。",
    "Title transfer registration: {reference}.": "产权过户登记：{reference}。",
    "The holder's payment of the shortfall: {reference}.": "持有人补足差额的付款：{reference}。",
    # ---------------------------------------------------------------- the verbs' own text
    "; ends after {idle} s without signing": "；{idle} 秒内无签署即结束",
    "agent pid {pid} signs for {member} (key {key}, from {store}): {minutes} min {seconds} s left":
        "签名代理（进程 {pid}）代 {member} 签署（密钥 {key}，来自 {store}）：剩余 {minutes} 分 "
        "{seconds} 秒",
    "{outstanding} outstanding + {pending} pending = {used}":
        "未偿 {outstanding} + 待确权 {pending} = {used}",
    "no issuance limit; used {used}": "无授信额度；已用 {used}",
    ", following bank {bank}'s line": "，依银行 {bank} 的授信",
    "issuance limit {limit}{bank}; used {used}; available {available}":
        "授信额度 {limit}{bank}；已用 {used}；可用 {available}",
    "since {since}: {overdue} overdue vouchers, {late} late confirmations (lifetime {overdue_all}"
    ", {late_all})":
        "自 {since} 起：逾期凭证 {overdue} 笔，迟确权 {late} 次（累计 {overdue_all} 笔、{late_all}"
        " 次）",
    "ON THE BLACKLIST (失信名单) since {since}: {reason}": "自 {since} 起列入失信名单：{reason}",
    "exposure {exposure} (pledged {pledged}, held {held}); ":
        "风险暴露 {exposure}（质押 {pledged}，持有 {held}）；",
    "no limit": "无限额",
    "limit {limit}, available {available}": "限额 {limit}，可用 {available}",
    "{label}: {size:,} bytes, commitment checked, written to {out}":
        "{label}：{size:,} 字节，承诺值已核对，已写入 {out}",
    "(sealed)": "（已封存）",
    "{size:,} bytes, sha256 {sha256}": "{size:,} 字节，sha256 {sha256}",
    "attached by {owner} at height {height} ({time}), tx {tx}; {size:,} bytes of padded ciphertext":
        "由 {owner} 于高度 {height}（{time}）附上，交易 {tx}；填充后密文 {size:,} 字节",
    " (you)": "（您）",
    "granted to you by {by} for voucher {voucher} ({time})":
        "{by} 就凭证 {voucher} 授权您查阅（{time}）",
    "you are a reader: `document get` decrypts it": "您是收件人：可用 `document get` 解密",
    "you are not a recipient of this document": "您不是该文件的收件人",
    "signed; ": "已签署；",
    "still to sign: {missing}": "尚待签署：{missing}",
    "complete: `submit {file}`": "签署齐全：请运行 `submit {file}`",
    "accepted and signed; not submitted: still to sign {missing}, then `submit {file}`":
        "已接受并签署；尚未提交：还需 {missing} 签署，然后运行 `submit {file}`",
    "fee schedule: transfers {transfer} bp, pledges {pledge} bp (set at height {height})":
        "服务费费率：转让 {transfer} 个基点，质押 {pledge} 个基点（于高度 {height} 设定）",
    "{member}: charged {charged}, paid {paid}, owes {owed}":
        "{member}：应收 {charged}，已缴 {paid}，欠缴 {owed}",
    "reader": "收件人",
    "party": "当事方",
    "time": "时间",
    "on": "计费基数",
    "fee / paid": "服务费/已缴",
    "tx": "交易",
    "reference": "编号",
    "declined by {funder}: {reason}": "{funder} 已婉拒：{reason}",
    "{amount} at {rate} a year": "{amount}，年利率 {rate}",
    " for {days} days, interest {interest}": "，期限 {days} 天，利息 {interest}",
    ", price {price}, {recourse}": "，价格 {price}，{recourse}",
    "quote {id} of {funder}: {figures}; expires {expires}; {status}":
        "{funder} 的报价 {id}：{figures}；{expires} 失效；{status}",
    "request {id} of {holder}: {kind} of {amount} on voucher {voucher}, {days} days wished, to "
    "{to}\n{status}; open until {until}":
        "{holder} 的融资申请 {id}：以凭证 {voucher} 申请{kind} {amount}，期望期限 {days} 天，发往 "
        "{to}\n{status}；开放至 {until}",
    "activating {contract} v{version} (code hash {hash}, as this release runs it) from height "
    "{height}":
        "将自高度 {height} 起启用 {contract} v{version}（代码哈希 {hash}，即本版本所运行的代码）",
    "contract versions at height {height}": "高度 {height} 的合约版本",
    "in force": "现行",
    ", the node's release lacks it": "，节点版本不含此合约版本",
    "scheduled": "待生效",
    "v{version} from height {height}": "v{version} 自高度 {height} 起",
    "protocol v{version} in force (the node's release runs v{release})":
        "现行协议 v{version}（节点版本运行 v{release}）",
    "; scheduled: {later}": "；待生效：{later}",
    "protocol v{version}": "协议 v{version}",
    "[bold red]upgrade needed[/]: {message}": "[bold red]需要升级[/]：{message}",
    "address {address}\nkey {key}\nkey store {out}": "地址 {address}\n密钥 {key}\n密钥文件 {out}",
    "{chain} height {height} ledger time {time} node {node} ({role}) state root {root}":
        "{chain} 高度 {height} 账本时间 {time} 节点 {node}（{role}）状态根 {root}",
    "validator": "验证节点",
    "observer": "观察节点",
    "Open within {seconds} s, once:\n{url}": "请在 {seconds} 秒内打开（仅限一次）：\n{url}",
    "trusting genesis {genesis} ({chain}); headers verified up to height {height} (block {block}"
    "), {checked} new; kept in {path}":
        "信任创世区块 {genesis}（{chain}）；区块头已验证至高度 {height}（区块 {block}），新验证 "
        "{checked} 个；保存在 {path}",
    "voucher {voucher} proven at height {height} against block {block} (state root {root}; "
    "{checked} new headers checked)":
        "凭证 {voucher} 已在高度 {height} 对区块 {block} 验证（状态根 {root}；新核对区块头 "
        "{checked} 个）",
    "  absent: no such voucher state": "  不存在：没有该凭证状态",
    "  status    {status}": "  状态      {status}",
    " (ended by {by})": "（由 {by} 终结）",
    "  amount    {amount}, due by {due}": "  金额      {amount}，到期日 {due}",
    "{name}  roles {roles}  {status}": "{name}  角色 {roles}  {status}",
    "  signs with key {key} (since height {height})": "  签名密钥 {key}（自高度 {height} 起）",
    "(natural person: identity reference {reference})": "（自然人：身份证件 {reference}）",
    "withheld": "不予显示",
    "  {person_type}  {code}  industry {industry}  region {region}":
        "  {person_type}  {code}  行业 {industry}  地区 {region}",
    "  legal representative {representative}  contacts {contacts}":
        "  法定代表人 {representative}  联系方式 {contacts}",
    "  reviewed by {reviewer} at height {height}": "  由 {reviewer} 于高度 {height} 审核",
    "    document {document}": "    文件 {document}",
    "suspended": "已暂停",
    "{status}: {address} signs with key {key} now; use --key {out} (keep the old key store for "
    "documents sealed before)":
        "{status}：{address} 现以密钥 {key} 签署；请使用 --key {out}（旧密钥文件请保留，以打开此前"
        "封存的文件）",
    "validators at height {height} (set in force from {start}, power {power})":
        "高度 {height} 的验证节点（该集合自高度 {start} 起生效，总权重 {power}）",
    "coming: {name} {key} power {power} peer {peer} from height {height}":
        "即将加入：{name} {key} 权重 {power} 地址 {peer}，自高度 {height} 起",
    "observer: {name} {key} operator {operator}": "观察节点：{name} {key} 运营方 {operator}",
    "expired": "已过期",
    "expires {when}": "{when} 过期",
    "proposal {id}: {kind} {key} approved by power {approved} of {total} (needs {needed}); {state}":
        "提案 {id}：{kind} {key}，已获权重 {approved}/{total} 批准（需 {needed}）；{state}",
    "no proposal pending": "没有待批准的提案",
    "name": "名称",
    "key": "密钥",
    "power": "权重",
    "peer": "节点地址",
    "operator": "运营方",
    "until": "截至",
    "version": "版本",
    "from height": "起始高度",
    "code hash": "代码哈希",
    "state": "状态",
    "confirmed and still owed: {owed}": "已确认且尚未清偿：{owed}",
    "[bold]{title}[/bold]: {owed} confirmed and still owed":
        "[bold]{title}[/bold]：已确认且尚未清偿 {owed}",
    "you owe": "您的应付",
    "owed to you": "您的应收",
    "pledge_loan": "质押融资",
    "factoring": "保理",
    "annual rate": "年利率",
    "discount": "贴现率",
    "{kind}, {min_days}–{max_days} days, {price_of} {min_price}–{max_price}, {min_amount}–"
    "{max_amount}":
        "{kind}，期限 {min_days}–{max_days} 天，{price_of} {min_price}–{max_price}，金额 "
        "{min_amount}–{max_amount}",
    "product {id}": "产品 {id}",
    "product {id} {name} of funder {funder}": "资金方 {funder} 的产品 {id} {name}",
    "terms: {ref}": "条款：{ref}",
    "{status}; published {published}, last changed {changed}":
        "{status}；发布于 {published}，最近修改于 {changed}",
    "listed": "已列入",
    "(the tree is longer than the node shows at once)": "（凭证树较长，节点一次未能全部显示）",
    "(more: events --after {cursor})": "（后面还有：events --after {cursor}）",
    "查询证明: pledges by {by} {key}": "查询证明：按{by} {key} 查询质押",
    ", answered by node {node} at height {height} ({time}, state root {root}); {checked}":
        "，由节点 {node} 于高度 {height}（{time}，状态根 {root}）作答；{checked}",
    "no 中登网 filing": "无中登网登记",
    "  {registration} {status:9} voucher {voucher} pledgor {pledgor} debtor {debtor} bank {bank}; "
    "{filing}":
        "  {registration} {status:9} 凭证 {voucher} 出质人 {pledgor} 债务人 {debtor} 银行 {bank}；"
        "{filing}",
    "  no pledge registered": "  无质押登记",
    "  more follow: ask again with --after {cursor}": "  后面还有：请加 --after {cursor} 再查",
    "wrote {out} ({format}, {size} bytes)": "已写入 {out}（{format}，{size} 字节）",
    "report {name} ({kind}, {zone}) by {by}": "报表 {name}（{kind}，{zone}），{by}",
    ", due {due}": "，报送期限 {due}",
    ": heights {start}–{end}": "：高度 {start}–{end}",
    "partial: the node has counted up to height {height} so far; ask again for the rest":
        "尚不完整：节点目前统计至高度 {height}；其余部分请稍后再查",
    "{kind} {sold} sold by {seller} to {buyer} (debtor {debtor}): face {face}, price {price} ("
    "{rate} a year for {days} days), {terms}; contract {contract}":
        "{kind} {sold} 由 {seller} 出售给 {buyer}（债务人 {debtor}）：面值 {face}，价格 {price}（"
        "年贴现率 {rate}，{days} 天），{terms}；合同 {contract}",
    "{status} on {when}: back to the seller as {returned}":
        "{status}（{when}）：已回到出售方，为 {returned}",
    "sale {id}\n{terms}\nsold {when}; {status}": "出售 {id}\n{terms}\n出售于 {when}；{status}",
    "中登网 registration {number}, {start} to {end}": "中登网登记 {number}，{start} 至 {end}",
    "document {document}": "文件 {document}",
    "sold": "已出售",
    "recourse": "已追索",
    "dispute {id} on {kind} {subject}, raised by {by} {when}: {reason}\nstatus {status}":
        "关于{kind} {subject} 的争议 {id}，由 {by} 于 {when} 提出：{reason}\n状态 {status}",
    "open": "处理中",
    "upheld": "争议成立",
    "dismissed": "已驳回",
    "document sha256 {digest}": "文件 sha256 {digest}",
    "pending transfer {id}: {to} signs it by {sign_by} with `transfer-sign {id}`":
        "待签收转让 {id}：{to} 须在 {sign_by} 前以 `transfer-sign {id}` 签收",
    "opted out of set-off": "已退出抵销",
    "no set-off limit": "未设抵销限额",
    "at most {limit} cleared per round": "每轮最多抵销 {limit}",
    "set-off plan at height {height} ({time}): {debts} debts":
        "高度 {height}（{time}）的抵销方案：债务 {debts} 笔",
    "debt in the graph": "图中债务总额",
    "optimum cleared": "最优抵销额",
    "remaining": "剩余",
    "bound (net internal debt)": "上界（内部净债务）",
    "gap to the bound": "与上界的差额",
    "in rounds of 3+ members": "三方及以上轮次",
    "{amount} in {count} round": "{amount}，共 {count} 轮",
    "{amount} in {count} rounds": "{amount}，共 {count} 轮",
    "bilateral, left to the parties": "双边债务，由双方自行处理",
    "deferred to a later plan": "留待以后的方案",
    "run: optimum over {count} mandated members": "运行：{count} 名已授权成员的最优抵销额",
    "run: planned": "运行：计划",
    "{amount} in {count} batch": "{amount}，共 {count} 批",
    "{amount} in {count} batches": "{amount}，共 {count} 批",
    "run: held back by per-run limits": "运行：因每次运行限额而保留",
    "needs members without a mandate": "涉及未授权成员",
    "rounds work on (after the run)": "运行后由轮次处理",
    "nothing to propose: no loop of 3 or more members can be cleared":
        "无可提议的轮次：没有可抵销的三方及以上闭环",
    "round {id} proposed ({status}): clears {cleared} among {members} members, consent by "
    "{deadline}":
        "已提议轮次 {id}（{status}）：在 {members} 名成员间抵销 {cleared}，须于 {deadline} 前同意",
    "no set-off mandate: rounds ask for your consent each time":
        "无抵销授权：每轮抵销均须征得您的同意",
    "mandate #{number} ({state}): a run clears at most {limit} of your debts, until {until}":
        "抵销授权 #{number}（{state}）：每次运行最多抵销您的债务 {limit}，有效至 {until}",
    "mandate|standing": "有效",
    "mandate|expired": "已到期",
    "mandate|revoked": "已撤销",
    "mandate|replaced": "已被取代",
    "nothing to run: no loop among members with a mandate": "无需运行：已授权成员之间没有闭环",
    "members with a mandate": "已授权成员",
    "optimum over their debts": "其债务的最优抵销额",
    "held back by per-run limits": "因每次运行限额而保留",
    "in loops longer than a batch": "在超过一批长度的闭环中",
    "planned in the run": "本次运行计划",
    "cleared on the ledger": "账本上已抵销",
    "left to rounds (members without a mandate)": "留给轮次处理（未授权成员）",
    "run {id}: {count} batches committed": "运行 {id}：已入账 {count} 批",
    ", {count} refused ({codes})": "，被拒 {count} 批（{codes}）",
    "proposed it": "提议方",
    "consented": "已同意",
    "consent awaited": "待同意",
    "did not consent": "未同意",
    "owes {of} less, is owed {to} less; {consent}": "应付减少 {of}，应收减少 {to}；{consent}",
    "asks of {who}": "对 {who} 的要求",
    "round|open": "待同意",
    "round|executed": "已执行",
    "round|refused": "已拒绝",
    "round|lapsed": "已逾期失效",
    "round|failed": "已失败",
    "round {number} {id}: [bold]{status}[/bold]": "第 {number} 轮 {id}：[bold]{status}[/bold]",
    "proposed by {agency} at {when}; consent by {deadline}":
        "由 {agency} 于 {when} 提议；须于 {deadline} 前同意",
    "; ended {when}": "；结束于 {when}",
    "note: {note}": "备注：{note}",
    "cleared": "已抵销",
    "clears once all consent": "各方均同意后抵销",
    "would have cleared": "本可抵销",
    "debt in the agency's graph": "登记机构图中的债务总额",
    "members": "成员",
    "{count}, consented {consented}": "{count} 名，已同意 {consented} 名",
    "waiting for": "尚待",
    "given": "已同意",
    "round": "轮次",
    "consent by": "同意截止",
    "clears": "抵销额",
    "debt": "债务",
    "clear": "抵销",
    "cleared of (owed by it)": "减少应付",
    "cleared to (owed to it)": "减少应收",
    "consent": "同意",
    "#": "#",
    "warning: voucher {voucher} NOT verified (--no-verify): you sign on the holder's word alone":
        "警告：凭证 {voucher} 未经验证（--no-verify）：您仅凭持有人所言签署",
    "voucher {voucher} verified at height {height} against block {block}: {status}, held by "
    "{holder}, {amount}":
        "凭证 {voucher} 已在高度 {height} 对区块 {block} 验证：{status}，持有人 {holder}，{amount}",
    "warning: voucher {voucher} NOT verified (--no-verify): you sign for it on the transferor's "
    "word alone":
        "警告：凭证 {voucher} 未经验证（--no-verify）：您仅凭转让人所言签收",
    "voucher {voucher} verified at height {height} against block {block}: held by {holder}, "
    "{amount}, reserved for this transfer":
        "凭证 {voucher} 已在高度 {height} 对区块 {block} 验证：持有人 {holder}，{amount}，已为本次"
        "转让预留",
    "warning: the debtor {address} is on the blacklist (失信名单) since {since}: {reason}":
        "警告：债务人 {address} 自 {since} 起列入失信名单：{reason}",
    "warning: {warning}": "警告：{warning}",
    "note: not using the agent: {why_not}; opening {path} instead":
        "提示：未使用签名代理：{why_not}；改为打开 {path}",
    "application {id} submitted; the debtor confirms it next":
        "申请 {id} 已提交；下一步由债务人确权",
    "confirmed (确权); the agency reviews and approves it next": "已确权；下一步由登记机构审核批准",
    "application {application} declined: {reason}": "申请 {application} 已被拒绝：{reason}",
    "voucher {voucher} issued": "凭证 {voucher} 已签发",
    "split into {parts}": "已拆分为：{parts}",
    "pledge {pledge} registered: {holder} pledged voucher {voucher} to bank {bank}, securing "
    "{secured} until {due}":
        "质押 {pledge} 已登记：{holder} 将凭证 {voucher} 质押给银行 {bank}，担保 {secured}，至 "
        "{due}",
    "pledge {pledge} released (解除质押)": "质押 {pledge} 已解除",
    "pledge {pledge} amended: secures {secured}, loan {loan} at {rate} until {due}":
        "质押 {pledge} 已变更：担保 {secured}，贷款 {loan}，年利率 {rate}，至 {due}",
    "pledge {pledge} renewed (续贷): loan {loan} until {due}":
        "质押 {pledge} 已续贷：贷款 {loan}，至 {due}",
    "released {amount} of pledge {pledge}": "已部分解除质押 {pledge}，金额 {amount}",
    ": part {free} is free, part {kept} stays pledged":
        "：部分 {free} 已解除，部分 {kept} 仍在质押中",
    "pledge {pledge} enforced: the bank holds part {part}":
        "质押 {pledge} 已实现：银行持有部分 {part}",
    "; the pledgor keeps {part}": "；出质人保留 {part}",
    "commitment {commitment}: {acquirer} buys at ¥{price:,} per ¥10,000 of claim from {start} "
    "until {end}":
        "收购承诺 {commitment}：{acquirer} 自 {start} 至 {end} 按每 ¥10,000 债权 ¥{price:,} 收购",
    "commitment {commitment} withdrawn": "收购承诺 {commitment} 已撤回",
    "sold {amount} of claim under commitment {commitment}; the acquirer's part {part}":
        "已依收购承诺 {commitment} 出售 {amount} 债权；收购方所得部分 {part}",
    ", title {title}": "，权属证书 {title}",
    ", up to {cap} in all": "，总额上限 {cap}",
    "offer {offer} published: {kind}, {description}, {price}":
        "报价 {offer} 已发布：{kind}，{description}，{price}",
    "asset": "资产抵付",
    "consumption": "消费抵付",
    "offer {offer} now: {description}, {price}": "报价 {offer} 现为：{description}，{price}",
    "offer {offer} withdrawn": "报价 {offer} 已撤回",
    "redemption request {request}: {price} against offer {offer}; voucher {voucher} is reserved "
    "until the debtor decides":
        "兑付申请 {request}：按报价 {offer} 作价 {price}；债务人决定前凭证 {voucher} 予以预留",
    "request {request} accepted; ": "申请 {request} 已接受；",
    "the remainder {part} keeps circulating": "余额部分 {part} 继续流通",
    "the voucher is fully settled and cancelled (注销)": "凭证已全部清偿并注销",
    "request {request} declined: {reason}": "申请 {request} 已被拒绝：{reason}",
    "request {request} cancelled; the voucher is free again":
        "申请 {request} 已撤销；凭证已解除预留",
    " with recourse": "，有追索权",
    " without recourse": "，无追索权",
    "product {product} published: {name}, {kind}{recourse}, {min_days}–{max_days} days, "
    "{min_price}–{max_price}, {min_amount}–{max_amount}":
        "产品 {product} 已发布：{name}，{kind}{recourse}，期限 {min_days}–{max_days} 天，"
        "{min_price}–{max_price}，金额 {min_amount}–{max_amount}",
    "product {product} amended": "产品 {product} 已修改",
    "product {product} withdrawn": "产品 {product} 已下架",
    "sale {sale}: {amount} of {what} {sold} sold to {buyer} for {price} ({rate} a year, {recourse}"
    "); the buyer's {what} {bought}; the debtor is told":
        "出售 {sale}：{what} {sold} 中的 {amount} 以 {price} 售予 {buyer}（年贴现率 {rate}，"
        "{recourse}）；买方所得{what} {bought}；已通知债务人",
    "sale {sale}: recourse exercised, the claim is the seller's again":
        "出售 {sale}：已行使追索权，债权回归出售方",
    "paid {amount} to merchant {merchant} for order {order}; merchant's part {part}":
        "已向商户 {merchant} 支付 {amount}（订单 {order}）；商户所得部分 {part}",
    "fee schedule: transfers {transfer} bp, pledges {pledge} bp":
        "服务费费率：转让 {transfer} 个基点，质押 {pledge} 个基点",
    "recorded {amount} of fees paid by {member}": "已记录 {member} 缴纳服务费 {amount}",
    "document {document} attached, sealed to {count} readers":
        "文件 {document} 已附上，封存给 {count} 名收件人",
    "{grantee} granted access to document {document}, a basis document of voucher {voucher}":
        "已授权 {grantee} 查阅文件 {document}（凭证 {voucher} 的基础文件）",
    "access of {grantee} to document {document} revoked: nodes serve it no more; what it read is "
    "not taken back":
        "已撤销 {grantee} 对文件 {document} 的查阅授权：节点不再提供该文件；已查阅的内容无法收回",
    "obligation {id} submitted: {debtor} owes {creditor} {amount}, due by {due}; the debtor "
    "confirms it next":
        "债务 {id} 已提交：{debtor} 欠 {creditor} {amount}，到期日 {due}；下一步由债务人确认",
    "confirmed; it counts now, and set-off rounds may clear it": "已确认；现已计入，可参与抵销",
    "declined: {reason}": "已拒绝：{reason}",
    "retracted by the creditor": "已由债权人撤回",
    "settled outside the ledger ({reference})": "已在账外结清（{reference}）",
    "reduced by {by}: {reason}": "已减少 {by}：{reason}",
    "withdrawn by both parties: {reason}": "已由双方撤回：{reason}",
    "obligation {obligation} {what}": "债务 {obligation} {what}",
    "set-off round {id} proposed: clears {cleared} on {debts} debts; every member consents by "
    "{deadline}":
        "已提议抵销轮次 {id}：抵销 {debts} 笔债务共 {cleared}；各成员须于 {deadline} 前同意",
    "consented to round {round}: the last consent, the round executed":
        "已同意轮次 {round}：为最后一项同意，本轮已执行",
    "consented to round {round}: the last consent, but a debt changed meanwhile and the round "
    "failed with nothing changed":
        "已同意轮次 {round}：为最后一项同意，但其间有债务变动，本轮失败，未作任何变更",
    "consented to round {round}; it waits for the other members":
        "已同意轮次 {round}；等待其他成员同意",
    "refused round {round}: {reason}; nothing changes":
        "已拒绝轮次 {round}：{reason}；不作任何变更",
    "opted out of set-off: no round may clear your debts": "已退出抵销：任何轮次都不会抵销您的债务",
    "set-off limit removed": "已取消抵销限额",
    "set-off limit: at most {limit} cleared per round": "抵销限额：每轮最多抵销 {limit}",
    "reason": "原因",
    "document": "文件",
    "granted": "授权时间",
    "granted by": "授权人",
    "grantee": "被授权人",
    "open until": "开放至",
    "confirm by (CST)": "确权期限（北京时间）",
    "application": "申请",
    "open round": "未结轮次",
    "set off": "已抵销",
    "product": "产品",
    "funder": "资金方",
    "expires": "失效时间",
    "per ¥10,000": "每 ¥10,000",
    "lock until": "锁定至",
    "seller": "出售方",
    "buyer": "买方",
    "sale": "出售",
    "order": "裁定",
    "raised by": "提出方",
    "subject": "事项",
    "court order": "法院裁定",
    "dispute": "争议",
    "frozen": "已冻结",
    "unfrozen": "已解冻",
    "raised": "提出时间",
    "Accept this payment and sign it?": "接受该付款并签署？",
    "all funders": "全部资金方",
    "{status}, bank {bank}, secures {secured} (registration {number})":
        "{status}，银行 {bank}，担保 {secured}（登记编号 {number}）",
    "by redemption request, {status}, price {price}": "由兑付申请预留，{status}，价格 {price}",
    "debtor owes {outstanding} outstanding; {overdue} overdue, {late} late confirmations, "
    "{extended} extended":
        "债务人未偿 {outstanding}；逾期 {overdue} 笔，迟确权 {late} 次，展期 {extended} 笔",
    "not readable by you (named by the proven voucher)": "您无权查看（由已验证的凭证指明）",
    "{id} proven absent": "{id} 已证明不存在",
    "record": "债务人记录",
    "{who} holds {held} in {parts} live parts": "{who} 持有 {held}，共 {parts} 个现存部分",
    "{who} owes {outstanding} outstanding of {issued} issued on {vouchers} vouchers":
        "{who} 未偿 {outstanding}，已签发 {vouchers} 笔凭证共 {issued}",
    "vouchers issued": "已签发凭证",
    "outstanding": "未偿",
    "redeemed": "已兑付",
    "confirmations in time": "按期确权",
    "average confirmation delay": "平均确权用时",
    "{days:.2f} days": "{days:.2f} 天",
    "late confirmations (30-day rule)": "迟确权（30 天规则）",
    "vouchers extended": "展期凭证",
    "vouchers overdue": "逾期凭证",
    "  (end of block)": "  （区块结束）",
    "signature and index proofs hold": "签名与索引证明均成立",
    ", and its state root is the one your light client verified":
        "，且其状态根与您的轻客户端所验证的一致",
    "price {price}: {face} less the discount of {discount} at {rate} a year for {days} days "
    "(ACT/360, the discount rounded down to the fen); the ledger takes this price in blocks up to "
    "{until}, when a day less remains to the due date: sign and submit by then, or draft again":
        "价格 {price}：面值 {face} 减去按年贴现率 {rate}、{days} 天计算的贴现息 {discount}（"
        "ACT/360，贴现息按分向下取整）；账本在 {until} 之前的区块中按此价格受理，届时距到期日少一"
        "天：请在此之前签署并提交，否则须重新起草",
    "Commands": "命令",
    "Options": "选项",
    "Usage: ": "用法: ",
    "Show this message and exit.": "显示本帮助并退出。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "; ": "；",
    "Passphrase": "口令",
    "report|month": "月度",
    "report|quarter": "季度",
    "report|year": "年度",
    "report|annual": "年报",
    "grouping|total": "汇总",
    "grouping|debtor": "按债务人",
    "grouping|bank": "按银行",
    "grouping|region": "按地区",
    "grouping|month": "按月份",
    "delisted": "已移出",
    "{reason} (delisted: {why})": "{reason}（已移出：{why}）",
    "grant|granted": "有效",
    "grant|revoked": "已撤销",
    "financing|open": "开放中",
    "financing|accepted": "已接受",
    "financing|withdrawn": "已撤回",
    "financing|lapsed": "已失效",
    "offered": "已报价",
    "replaced": "已被取代",
    "accepted": "已接受",
    "declined": "已婉拒",
    "application|applied": "待确权",
    "application|confirmed": "已确权",
    "application|declined": "债务人已拒绝",
    "application|issued": "已签发",
    "application|lapsed": "已逾期失效",
    "application|rejected": "已驳回",
    "application|withdrawn": "已撤回",
    "obligation|pending": "待确认",
    "obligation|confirmed": "已确认",
    "obligation|declined": "已拒绝",
    "obligation|retracted": "已撤回",
    "obligation|settled": "已结清",
    "obligation|withdrawn": "已撤回",
    "obligation|cleared": "已抵销",
    "obligation|assigned": "已转让",
    "obligation|lapsed": "已逾期失效",
    "recourse|with": "有",
    "recourse|without": "无",
    "product|listed": "已上架",
    "product|withdrawn": "已下架",
    "commitment|open": "有效",
    "commitment|withdrawn": "已撤回",
    "offer|listed": "有效",
    "offer|withdrawn": "已撤回",
    "offer|redeemed": "已兑付",
    "redemption|requested": "待处理",
    "redemption|accepted": "已接受",
    "redemption|declined": "已拒绝",
    "redemption|cancelled": "已撤销",
    "recourse_exercised": "已追索",
    "payment": "付款",
    "origin": "原始凭证",
    # ---------------------------------------------------------------- the review's checks
    "Proven at height {height} against block {block}: the {records}.":
        "已在高度 {height}（区块 {block}）证明：{records}。",
    "Identity: {kind}, {who}; industry {industry}, region {region}; contacts {contacts}.":
        "身份：{kind}，{who}；行业 {industry}，地区 {region}；联系方式 {contacts}。",
    "credit code {code}, legal representative {rep}":
        "统一社会信用代码 {code}，法定代表人 {rep}",
    "resident id reference {reference}": "居民身份证号引用 {reference}",
    "  a signature by key {key} does not verify: not counted":
        "  密钥 {key} 的签名验证不通过，不予计入",
    "Validity: the node did not show its chain and height; how far away the expiry is, "
    "and on which network, is not checked.":
        "有效期：节点未提供其链标识与高度，未核对到期高度的远近及所属网络。",
    "Validity: not the chain of the node you use ({chain}).":
        "有效期：并非您所用节点的链（{chain}）。",
    "Validity: it cannot commit before height {start}, {blocks} blocks from now (height "
    "{height}).":
        "有效期：在高度 {start} 之前无法入账，距今 {blocks} 个区块（当前高度 {height}）。",
    "Validity: expired already (the chain is at height {height}); it cannot commit.":
        "有效期：已过期（当前高度 {height}），无法入账。",
    "Validity: the chain is at height {height}; {blocks} blocks left to commit it.":
        "有效期：当前高度 {height}，尚余 {blocks} 个区块可入账。",
    "What this screen says of the {records} is the node's word, not proven.":
        "本页关于{records}的内容来自节点，未经证明。",
    "financing request": "融资申请",
    "redemption request": "抵付申请",
    "set-off round": "抵销轮次",
    "legal_person": "法人",
    "natural_person": "自然人",
    "other_organisation": "其他组织",
    # A member's roles (`member show`).
    "role|agency": "登记机构",
    "role|bank": "银行",
    "role|factor": "商业保理公司",
    "role|microlender": "小额贷款公司",
    "role|enterprise": "企业",
    "role|merchant": "特约商户",
    "role|acquirer": "收购主体",
    "role|regulator": "监管",
}


# A command's one-line help (the first sentence of its docstring, as `claimledger-wallet
# --help` and `GROUP --help` list it) in Chinese; a sentence with no entry is listed in
# English (wallet/i18n.py: short_help).
HELP_ZH: dict[str, str] = {
    "Sign and submit Claimledger transactions; query vouchers.":
        "签署并提交 Claimledger 交易；查询凭证。",
    "The merchant accepts the payment draft FILE: proves the voucher paid with (live, held by the "
    "payer, covering the amount; unless --no-verify), shows the payment, signs it and submits it.":
        "商户接受付款草稿 FILE：验证所付凭证（有效、由付款人持有、金额足够；--no-verify 时不验证）"
        "，显示付款内容，签署并提交。",
    "The address of --key.": "--key 的地址。",
    "The agency admits MEMBER (an address) with its legal identity, as reviewed; the new member "
    "co-signs.":
        "登记机构按审核结果接纳成员 MEMBER（地址）及其法定身份；新成员会签。",
    "Unlock your key store once: an agent signs for you for a while (like ssh-agent).":
        "一次解锁密钥文件：签名代理在一段时间内代您签署（类似 ssh-agent）。",
    "Open --key with its passphrase and start an agent holding it in memory; print the shell "
    "lines that export CLAIMLEDGER_AGENT (for `eval`).":
        "以口令打开 --key，启动在内存中持有密钥的签名代理；输出导出 CLAIMLEDGER_AGENT 的 shell 命"
        "令（供 `eval`）。",
    "Which member the agent at $CLAIMLEDGER_AGENT signs for, and how long it still does.":
        "$CLAIMLEDGER_AGENT 处的签名代理代哪个成员签署，以及还能签多久。",
    "Stop the agent at $CLAIMLEDGER_AGENT: it forgets the key, removes its socket and exits; "
    "print the shell line that unsets CLAIMLEDGER_AGENT (for `eval`).":
        "停止 $CLAIMLEDGER_AGENT 处的签名代理：清除密钥、删除套接字并退出；输出取消 "
        "CLAIMLEDGER_AGENT 的 shell 命令（供 `eval`）。",
    "Issuance applications by creditor or by debtor (default: you as creditor).":
        "按债权人或债务人列出签发申请（默认：您作为债权人）。",
    "The creditor applies for a voucher against DEBTOR, with its documents sealed to both "
    "parties, the agency and the regulators (attached first, signed by you).":
        "债权人向债务人 DEBTOR 申请签发凭证，所附文件封存给双方、登记机构和监管成员（先行附上，由"
        "您签署）。",
    "The agency approves a confirmed application: the voucher is issued (after the review "
    "screen; --yes: without asking).":
        "服务机构批准已确权的申请：凭证随即开具（先显示核对页；--yes：不再询问）。",
    "Basis documents: the digest applications and obligations record.":
        "基础文件：申请和债务记录的文件摘要。",
    "The digest of the basis document FILE between CREDITOR and DEBTOR, as either of them "
    "computes it with its key: compare it with an application's or obligation's basis_sha256 "
    "before confirming.":
        "计算债权人 CREDITOR 与债务人 DEBTOR 之间基础文件 FILE 的摘要（任一方用其密钥计算）：确权"
        "前与申请或债务的 basis_sha256 核对。",
    "The acquirer commits to buy VOUCHER's claim after a lock (收购承诺); the holder co-signs.":
        "收购方承诺在锁定期后收购凭证 VOUCHER 的债权（收购承诺）；持有人会签。",
    "Acquisition commitments by voucher or by acquirer.": "按凭证或收购方列出收购承诺。",
    "The debtor confirms the debt of an application (确权), after the review screen shows "
    "its terms and asks `Sign this?` (--yes: without asking).":
        "债务人确认申请所列债务（确权）：先在核对页显示其条款并询问“确认签署？”（--yes：不再询问）。",
    "Issuance limits (授信额度), exposure limits (大额风险暴露) and the blacklist (失信名单).":
        "授信额度、大额风险暴露限额与失信名单。",
    "The blacklist (失信名单): the debtors listed now, and why.":
        "失信名单：当前列入的债务人及原因。",
    "The agency sets the blacklist criteria.": "登记机构设定失信名单认定标准。",
    "The agency takes DEBTOR off the blacklist.": "登记机构将债务人 DEBTOR 移出失信名单。",
    "A funder's exposure to DEBTOR (pledged to it plus held by it) and its limit.":
        "资金方对债务人 DEBTOR 的风险暴露（质押给它的加上它持有的）及其限额。",
    "A funder sets (or changes) its exposure limit on DEBTOR.":
        "资金方设定（或变更）对债务人 DEBTOR 的大额风险暴露限额。",
    "A funder removes its exposure limit on DEBTOR.":
        "资金方取消对债务人 DEBTOR 的大额风险暴露限额。",
    "The agency sets (or changes) DEBTOR's issuance limit.":
        "登记机构设定（或变更）债务人 DEBTOR 的授信额度。",
    "The agency removes DEBTOR's issuance limit.": "登记机构取消债务人 DEBTOR 的授信额度。",
    "The agency puts DEBTOR on the blacklist; its record must meet the criteria.":
        "登记机构将债务人 DEBTOR 列入失信名单；其记录须达到认定标准。",
    "DEBTOR's issuance limit and its use, its listing and its standing.":
        "债务人 DEBTOR 的授信额度及使用情况、失信名单情况与信用记录。",
    "The debtor declines an application it does not owe (no 确权): it closes with your reason, "
    "which does not count as a late confirmation.":
        "债务人拒绝其不承认的申请（不予确权）：申请以您的理由关闭，不计为迟确权。",
    "Disputes (异议): raise, resolve, list, show.": "争议（异议）：提出、处理、列出、查看。",
    "Disputes you may read.": "您可查看的争议。",
    "Dispute SUBJECT, an application, a voucher (any state of it; a holder names the part it "
    "holds) or an obligation you are a party to.":
        "对 SUBJECT 提出争议：您作为当事方的申请、凭证（其任一状态；持有人指明所持部分）或债务。",
    "As the agency, resolve DISPUTE: upheld or dismissed, with the reason (an upheld dispute on a "
    "voucher is resolved by `void --dispute` instead, in one step).":
        "登记机构处理争议 DISPUTE：成立或驳回，并说明理由（凭证上成立的争议改用 `void --dispute` "
        "一步处理）。",
    "A dispute you are a party to.": "您作为当事方的争议。",
    "Confidential documents: sealed to the parties of a transaction, the agency and every "
    "regulator, and to the members a voucher's holder grants access to its basis documents.":
        "保密文件：封存给交易各当事方、登记机构和全部监管成员，以及凭证持有人授权查阅其基础文件的"
        "成员。",
    "Decrypt DOCUMENT (its id, as the transactions resting on it name it) with your key, check it "
    "against its commitment and write it to --out.":
        "用您的密钥解密文件 DOCUMENT（以交易所引用的编号指明），核对其承诺值后写入 --out。",
    "Grant the member --to access to DOCUMENT, a basis document of --voucher: your wallet unseals "
    "the document key (yours as a reader, or the one granted to you), checks that it opens the "
    "document, and seals it to the grantee; the ledger records the grant.":
        "授权成员 --to 查阅 --voucher 的基础文件 DOCUMENT：钱包解开文件密钥并核对后，封存给被授权"
        "人；账本记录该授权。",
    "Grants of access: of DOCUMENT (those you may read: all of them to its parties, the agency "
    "and the regulators), or a grantee's (yours by default).":
        "查阅授权：文件 DOCUMENT 的授权（您可查看的），或某一被授权人的授权（默认为您）。",
    "Revoke the access you granted --to to DOCUMENT: nodes serve it the document no more.":
        "撤销您授予 --to 的文件 DOCUMENT 查阅权限：节点不再向其提供该文件。",
    "Who attached DOCUMENT, its parties and readers, whether you are one (with --key), and to a "
    "reader its label and the sha256 of its contents.":
        "文件 DOCUMENT 由谁附上、当事方与收件人、您是否为收件人（需 --key），以及（对收件人）其标"
        "签和内容的 sha256。",
    "After the loan fell due, the bank takes the secured claim of PLEDGE_ID.":
        "贷款到期后，银行取得质押 PLEDGE_ID 所担保的债权（实现质权）。",
    "The events addressed to a member: transfers it is party to, pledges, due dates...":
        "发给某成员的事件：其参与的转让、质押、到期日等。",
    "After the lock, sell VOUCHER's claim (all or part) to the committed acquirer, after the "
    "review screen asks `Sign this?` (--yes: without asking).":
        "锁定期过后，将凭证 VOUCHER 的债权（全部或部分）出售给已承诺的收购方：先显示核对页并询问"
        "“确认签署？”（--yes：不再询问）。",
    "A one-time link that opens the node's explorer in a browser (agency and regulators).":
        "打开节点浏览器的一次性登录链接（登记机构和监管成员）。",
    "Live vouchers whose due date moved by their extension clause (展期).":
        "按展期条款推迟了到期日的有效凭证（展期）。",
    "The service fee schedule and members' fee accounts.": "服务费费率表与成员的服务费账户。",
    "The agency records that MEMBER paid fees (outside the ledger).":
        "登记机构记录成员 MEMBER 已缴服务费（账外缴纳）。",
    "The agency sets the fee schedule.": "登记机构设定服务费费率表。",
    "The fee schedule, and MEMBER's fee account (default: yours, with --key).":
        "服务费费率表，以及成员 MEMBER 的服务费账户（默认：您的，需 --key）。",
    "Financing requests (融资需求推送): ask funders to lend on or buy a claim, answer, accept.":
        "融资需求推送：请资金方以债权放贷或收购债权，应答，接受。",
    "Accept QUOTE on your request: draft it with --out FILE, sign it (`sign FILE`), and the "
    "funder signs it (`sign FILE`) and submits it; the pledge is registered (or the claim sold) "
    "when it commits, and the other quotes lapse.":
        "接受您申请的报价 QUOTE：用 --out FILE 生成草稿并签署，再由资金方签署并提交；入账时办理质"
        "押登记（或出售债权），其他报价随之失效。",
    "Decline REQUEST as a funder, saying why; you answer it no more.":
        "以资金方身份婉拒融资申请 REQUEST 并说明理由；此后不再应答。",
    "Quote on REQUEST as a funder; a quote you make again replaces your earlier one.":
        "以资金方身份对融资申请 REQUEST 报价；再次报价将取代此前的报价。",
    "Ask funders to finance AMOUNT of your voucher VOUCHER; the part is reserved until you accept "
    "a quote or withdraw, or the request lapses.":
        "请资金方就您的凭证 VOUCHER 融资 AMOUNT；该部分予以预留，直至您接受报价、撤回或申请失效。",
    "Your requests (made, addressed to you, or answered by you) and the open requests to every "
    "funder that you may answer.":
        "您的融资申请（您提出的、发给您的或您应答过的），以及向全部资金方公开、您可应答的申请。",
    "A request with the answers you may read (the holder reads every one, a funder its own).":
        "融资申请及您可查看的应答（持有人可看全部，资金方只看自己的）。",
    "Withdraw your open REQUEST: the part is free again, its quotes lapse.":
        "撤回您未结的融资申请 REQUEST：该部分解除预留，其报价随之失效。",
    "As a regulator or the agency, freeze VOUCHER (a live state) or AMOUNT of it on a court "
    "order: a part is split off first, the rest keeps moving; the frozen state moves in no way "
    "until unfrozen.":
        "监管成员或登记机构依法院裁定冻结凭证 VOUCHER（有效状态）或其中的 AMOUNT：先拆出一部分，其"
        "余照常流转；冻结部分在解冻前不能办理任何业务。",
    "Freeze orders: yours, a voucher's, or all in force (agency, regulators).":
        "冻结裁定：您的、某凭证的，或全部现行的（登记机构、监管成员）。",
    "Freeze orders you may read.": "您可查看的冻结裁定。",
    "Contract and protocol versions: activate one from a height (agency), show them.":
        "合约与协议版本：自某一高度起启用（登记机构），查看。",
    "The agency activates CONTRACT VERSION from --from-height, with the code hash of this "
    "wallet's release (refused when the release lacks that version).":
        "登记机构自 --from-height 起启用合约版本 CONTRACT VERSION，代码哈希取自本钱包版本（本版本"
        "不含该合约版本时拒绝）。",
    "The agency puts protocol VERSION in force from --from-height.":
        "登记机构自 --from-height 起施行协议版本 VERSION。",
    "The contract and protocol versions in force for the next block, those scheduled for later "
    "heights, and what the node's own release lacks (from its /v1/status).":
        "下一区块现行的合约与协议版本、以后高度待生效的版本，以及节点本身版本所缺的（取自其 "
        "/v1/status）。",
    "Create a new key store file (mode 0600).": "新建密钥文件（权限 0600）。",
    "VOUCHER's ancestors back to its issue, and every part descended from it, as a tree.":
        "凭证 VOUCHER 直至签发的来源，以及由其派生的全部部分，以树形显示。",
    "A member's record, its key and the agency's changes to it.":
        "成员记录、其密钥以及登记机构对其的变更。",
    "The agency amends a member's name, roles or identity on a review; what is not given stays as "
    "the ledger has it.":
        "登记机构经审核变更成员的名称、角色或身份信息；未给出的项目保持不变。",
    "The agency gives a member that lost its key a new one, on a reviewed request (at least one "
    "--review-document or --review-file): draft it with --out, the member signs the draft with "
    "its new key store, the agency signs and submits.":
        "登记机构经审核为遗失密钥的成员换发新密钥（至少一个 --review-document 或 --review-file）："
        "用 --out 生成草稿，成员以新密钥签署，登记机构签署并提交。",
    "Replace your signing key: after the review screen asks `Sign this?` (--yes: without asking), "
    "a new key store is written at --new-key-out for your same address, both keys sign, and once "
    "committed only the new key signs for you (use --key NEW_KEY_OUT from then on).":
        "更换您的签名密钥：核对页询问“确认签署？”后（--yes：不再询问），在 --new-key-out 写入同一地"
        "址的新密钥文件，新旧密钥共同签署；入账后只有新密钥代您签署（此后请用 --key "
        "NEW_KEY_OUT）。",
    "A member's name, roles, status, key and legal identity (contacts, legal representative and "
    "review documents only for itself, the agency and regulators).":
        "成员的名称、角色、状态、密钥和法定身份（联系方式、法定代表人和审核文件仅本人、登记机构和"
        "监管成员可见）。",
    "The node registry: validators, observers and changes to them.":
        "节点名册：验证节点、观察节点及其变更。",
    "The agency admits an observer: it links at once, no node restarts.":
        "登记机构接纳观察节点：立即连接，无需重启节点。",
    "An operator of a validator in force approves PROPOSAL (an id).":
        "现任验证节点的运营方批准提案 PROPOSAL（编号）。",
    "Validators in force and coming, observers, and the proposals pending with the power their "
    "approvals hold.":
        "现任及即将加入的验证节点、观察节点，以及待批准的提案及其已获批准的权重。",
    "The agency proposes a validator change (its id: the transaction's id).":
        "登记机构提议变更验证节点（其编号即交易编号）。",
    "Propose a new validator.": "提议新增验证节点。",
    "Propose to remove a validator.": "提议移除验证节点。",
    "Propose to replace a validator's node key (a key lost or compromised).":
        "提议更换验证节点的节点密钥（密钥遗失或泄露时）。",
    "Propose a validator's new power.": "提议调整验证节点的权重。",
    "The agency removes an observer: its links are cut at the next block.":
        "登记机构移除观察节点：下一区块起断开其连接。",
    "The agency withdraws PROPOSAL.": "登记机构撤回提案 PROPOSAL。",
    "Obligations members owe each other, uploaded for set-off: the creditor submits, the debtor "
    "confirms; a confirmed one changes only with both signing.":
        "成员之间的债务，上传用于抵销：债权人提交，债务人确认；已确认的债务须双方签署才能变更。",
    "As the debtor, confirm you owe OBLIGATION, after the review screen asks `Sign this?` "
    "(--yes: without asking).":
        "以债务人身份确认欠付债务 OBLIGATION：先显示核对页并询问“确认签署？”（--yes：不再询问）。",
    "As the debtor, say you do not owe OBLIGATION.": "以债务人身份声明不欠债务 OBLIGATION。",
    "Both parties reduce OBLIGATION by an amount; draft with --out, both sign.":
        "双方将债务 OBLIGATION 减少一定金额；用 --out 生成草稿，双方签署。",
    "As the creditor, take back OBLIGATION before the debtor confirms it.":
        "以债权人身份在债务人确认前撤回债务 OBLIGATION。",
    "Both parties say OBLIGATION was paid outside the ledger; draft with --out, both sign.":
        "双方声明债务 OBLIGATION 已在账外清偿；用 --out 生成草稿，双方签署。",
    "As the creditor, upload what DEBTOR owes you; it counts once the debtor confirms.":
        "以债权人身份上传债务人 DEBTOR 对您的欠款；经债务人确认后计入。",
    "Both parties take a confirmed OBLIGATION out of the ledger; draft with --out, both sign.":
        "双方将已确认的债务 OBLIGATION 移出账本；用 --out 生成草稿，双方签署。",
    "Obligations by creditor or by debtor (default: what you owe and what you are owed).":
        "按债权人或债务人列出债务（默认：您的应付和应收）。",
    "The debtor's offers of assets or consumption it settles claims with.":
        "债务人用于抵付债权的资产或消费报价。",
    "Change the description or price of your offer OFFER_ID.":
        "修改您的报价 OFFER_ID 的说明或价格。",
    "Publish an offer (资产抵付 asset, or 消费抵付 consumption) as the debtor.":
        "以债务人身份发布报价（资产抵付或消费抵付）。",
    "Withdraw your offer OFFER_ID.": "撤回您的报价 OFFER_ID。",
    "A debtor's offers of assets and consumption.": "债务人的资产和消费报价。",
    "What is owed: a holder's live claims, or a debtor's outstanding vouchers.":
        "欠款情况：持有人的有效债权，或债务人的未偿凭证。",
    "Live vouchers past their due date with no extension left (逾期).":
        "已过到期日且无剩余展期的有效凭证（逾期）。",
    "Pay a merchant with part of VOUCHER (抵付货款): draft with --out, sign it, hand the file to "
    "the merchant, who runs `accept FILE`.":
        "以凭证 VOUCHER 的一部分向商户付款（抵付货款）：用 --out 生成草稿并签署，交给商户运行 "
        "`accept FILE`。",
    "Pledge VOUCHER to a bank (质押); you and the bank sign, so draft it with --out.":
        "将凭证 VOUCHER 质押给银行（质押）；您与银行共同签署，请用 --out 生成草稿。",
    "Amend pledge PLEDGE_ID: what you give changes, the rest stays as the registry holds it (read "
    "from the node).":
        "变更质押 PLEDGE_ID：您给出的项目变更，其余按登记簿现状（从节点读取）保持不变。",
    "Ask the pledge registry by pledgor, debtor, voucher or issued voucher for a query "
    "certificate (查询证明) and verify it: the node's signature, every result an answer to the "
    "query and in the registry's index under the state root it names, and, if you trust a genesis "
    "(`trust`), that state root in the header of that height your light client verified.":
        "按出质人、债务人、凭证或已签发凭证向质押登记簿申请查询证明并验证：节点签名、每条结果均符"
        "合查询且在其所示状态根下的索引中，以及（若已信任创世区块）该状态根与轻客户端所验证的区块"
        "头一致。",
    "Renew the loan pledge PLEDGE_ID secures (续贷): a new loan, due later, on the same pledge.":
        "为质押 PLEDGE_ID 所担保的贷款续贷：同一质押下的新贷款，到期日更晚。",
    "The pledge registry (质押登记) by voucher, issued voucher, pledgor, debtor or bank; a pledge "
    'you are no party to shows as its public notice (no loan: "–").':
        "按凭证、已签发凭证、出质人、债务人或银行查询质押登记；您非当事方的质押只显示其公示信息（"
        "无贷款信息：“–”）。",
    "Financing products of funders: pledge loans (质押融资) and factoring (保理).":
        "资金方的融资产品：质押融资与保理。",
    "Amend the terms of your product PRODUCT_ID (each one not given stays).":
        "修改您的产品 PRODUCT_ID 的条款（未给出的保持不变）。",
    "Funders' products, every member's to read.": "资金方的产品，所有成员均可查看。",
    "Publish the product NAME as a funder (a bank, a factor or a microlender).":
        "以资金方身份（银行、保理公司或小贷公司）发布产品 NAME。",
    "A product: its funder, kind and terms.": "产品：资金方、类型和条款。",
    "Withdraw your product PRODUCT_ID (it stays on record, withdrawn).":
        "下架您的产品 PRODUCT_ID（记录保留，状态为已下架）。",
    "A debtor's record: what it issued and owes, confirmation delays, overdue and extended.":
        "债务人记录：签发与未偿、确权用时、逾期和展期情况。",
    "Ask the debtor to settle VOUCHER with one of its offers (抵付); it is reserved meanwhile.":
        "请债务人以其某一报价兑付凭证 VOUCHER（抵付）；其间该凭证予以预留。",
    "Redemption requests: the debtor accepts or declines, the holder may cancel.":
        "兑付申请：债务人接受或拒绝，持有人可撤销。",
    "The debtor accepts REQUEST_ID: the claim is reduced by the price (after the review "
    "screen asks `Sign this?`; --yes: without asking).":
        "债务人接受抵付申请 REQUEST_ID：债权按价格减少（先显示核对页并询问“确认签署？”；"
        "--yes：不再询问）。",
    "The holder cancels its request REQUEST_ID before the debtor decides.":
        "持有人在债务人决定前撤销其兑付申请 REQUEST_ID。",
    "The debtor declines REQUEST_ID; the voucher is free again.":
        "债务人拒绝兑付申请 REQUEST_ID；凭证解除预留。",
    "Redemption requests by holder or by debtor.": "按持有人或债务人列出兑付申请。",
    "The agency reinstates a suspended MEMBER.": "登记机构恢复被暂停的成员 MEMBER。",
    "The agency rejects an application.": "登记机构驳回申请。",
    "The bank releases its pledge PLEDGE_ID (解除质押).": "银行解除其质押 PLEDGE_ID（解除质押）。",
    "The bank releases part of the claim pledge PLEDGE_ID secures: that much becomes a part of "
    "the voucher its holder holds free; the rest stays pledged.":
        "银行部分解除质押 PLEDGE_ID 所担保的债权：该部分成为持有人可自由处分的凭证部分，其余仍在质"
        "押中。",
    "A period's figures (issued, transferred, financed, pledged, redeemed, set off, extended, "
    "overdue, late confirmations) by debtor, bank, region or month.":
        "某一期间的统计数据（签发、转让、融资、质押、兑付、抵销、展期、逾期、迟确权），按债务人、"
        "银行、地区或月份。",
    "Sales of claims to funders (保理): draft, recourse, show.":
        "向资金方出售债权（保理）：起草、追索、查看。",
    "Draft the sale of AMOUNT of VOUCHER you hold to a funder, at the price the ledger computes "
    "from the rate and the days to the due date (shown before anything is written).":
        "起草将您持有的凭证 VOUCHER 中的 AMOUNT 出售给资金方，价格由账本按贴现率和距到期日天数计算"
        "（写入前先显示）。",
    "Draft the sale of AMOUNT of a confirmed OBLIGATION owed to you to a funder, priced as a "
    "voucher sale is, to its due date.":
        "起草将您的已确认债务 OBLIGATION 中的 AMOUNT 出售给资金方，按凭证出售的方式计价至其到期日"
        "。",
    "As the buyer, give the overdue claim of SALE_ID, sold with recourse, back to its seller (the "
    "seller repays you outside the ledger, as your contract says).":
        "以买方身份将 SALE_ID 中有追索权出售、已逾期的债权退回出售方（出售方按合同在账外向您偿还）"
        "。",
    "A sale you are seller, buyer or debtor of.": "您作为出售方、买方或债务人的一笔出售。",
    "Your sales of claims to funders, as seller, buyer or debtor.":
        "您作为出售方、买方或债务人的债权出售。",
    "Sales of claims to funders a party is seller, buyer or debtor of.":
        "某一当事方作为出售方、买方或债务人的债权出售。",
    "Multilateral set-off (债权债务闭环抵销): members with a standing mandate are cleared by the "
    "agency's runs; for the rest the agency proposes rounds from the optimal plan, every member "
    "concerned consents, the last consent executes the round.":
        "债权债务闭环抵销：有长期授权的成员由登记机构的运行抵销；其余由登记机构按最优方案提议轮次"
        "，各相关成员同意，最后一项同意即执行本轮。",
    "Consent to ROUND, after the review screen (what it clears of yours) asks `Sign this?` "
    "(--yes: without asking); the last member's consent executes it.":
        "同意轮次 ROUND：核对页列明本轮抵销您的哪些债务，并询问“确认签署？”（--yes：不再询问）；"
        "最后一名成员同意即执行本轮。",
    "Your standing set-off limit: set it with one option, or show it with none.":
        "您的长期抵销限额：用一个选项设定，不加选项则显示。",
    "Your standing set-off mandate (抵销授权): the agency's runs may clear your debts against "
    "what is owed to you, at most --max per run, until --until; a new one replaces the last.":
        "您的长期抵销授权：登记机构的运行可在每次不超过 --max、有效至 --until 的范围内，以您的应收"
        "抵销您的应付；新授权取代旧授权。",
    "The optimal set-off of the debts now, and the rounds it would propose.":
        "当前债务的最优抵销方案，以及将提议的轮次。",
    "As the agency, propose the plan's rounds: one transaction per round.":
        "登记机构提议方案中的轮次：每轮一笔交易。",
    "Refuse ROUND: it ends with nothing changed.": "拒绝轮次 ROUND：本轮结束，不作任何变更。",
    "ROUND's result: cleared, remaining, bound, its legs, and who has yet to consent.":
        "轮次 ROUND 的结果：已抵销、剩余、上界、各笔债务，以及尚待同意的成员。",
    "Set-off rounds concerning you (or --member), and what each asks of you.":
        "与您（或 --member）有关的抵销轮次，以及每轮对您的要求。",
    "As the agency, execute the plan's run over the debts of members with a mandate: open a run "
    "(or continue the open one), submit its batches (each a circulation, so every prefix keeps "
    "each net position), wait for them to commit, and close it.":
        "登记机构对有授权成员的债务执行方案中的运行：开启（或继续）运行，分批提交并等待入账，然后"
        "关闭。",
    "Add your signature to the draft FILE, after showing what it does.":
        "显示草稿 FILE 的内容后，加上您的签名。",
    "Split VOUCHER into parts you keep (to pledge, pay or transfer them separately).":
        "将凭证 VOUCHER 拆分为由您保留的若干部分（以便分别质押、支付或转让）。",
    "The node's chain, height and state root.": "节点的链、高度和状态根。",
    "Submit a fully signed draft FILE and wait for it to be committed.":
        "提交已签署齐全的草稿 FILE，并等待其入账。",
    "The agency suspends MEMBER.": "登记机构暂停成员 MEMBER。",
    "Offer all or part of VOUCHER to another member (流转): the part is reserved until the "
    "transferee signs for it (签收; the debtor is then notified and you owe the fee), refuses, "
    "you withdraw the offer, or it lapses.":
        "将凭证 VOUCHER 的全部或部分转让给另一成员（流转）：该部分予以预留，直至受让人签收（随后通"
        "知债务人，由您支付服务费）、拒收、您撤回或期限届满。",
    "Refuse the transfer TRANSFER_ID offered to you; the part is free again for its holder.":
        "拒收向您发起的转让 TRANSFER_ID；该部分对其持有人解除预留。",
    "Sign for the transfer TRANSFER_ID offered to you (签收): the reserved part becomes yours, "
    "the debtor is notified, the transferor owes the fee.":
        "签收向您发起的转让 TRANSFER_ID：预留部分归您所有，通知债务人，由转让人支付服务费。",
    "Withdraw your offer TRANSFER_ID before its transferee signs; the part is free again.":
        "在受让人签收前撤回您发起的转让 TRANSFER_ID；该部分解除预留。",
    "Transfers between you and another member: those you offered and those offered to you, "
    "waiting for the transferee's signature unless --status or --all.":
        "您与其他成员之间的转让：您发起的和向您发起的，默认只列待受让人签收的（可用 --status 或 "
        "--all）。",
    "Trust the network whose genesis block id is GENESIS_ID (read it from your own copy of the "
    "network: `claimledger-node genesis-id --network genesis.json`), then follow and verify its "
    "headers up to the node's head.":
        "信任创世区块编号为 GENESIS_ID 的网络（从您自己的网络副本读取：`claimledger-node "
        "genesis-id --network genesis.json`），然后跟随并验证其区块头直至节点最新高度。",
    "Transactions.": "交易。",
    "A transaction's status, block and result.": "交易的状态、所在区块和结果。",
    "The acquirer withdraws COMMITMENT_ID, before its lock ends.":
        "收购方在锁定期结束前撤回收购承诺 COMMITMENT_ID。",
    "As the authority that froze it, or the agency, lift freeze ORDER on the order lifting it "
    "(its reference and document).":
        "冻结机关或登记机构依解除裁定（其编号和文件）解除冻结 ORDER。",
    "Prove VOUCHER at the latest certified height: its holder, amount, status and due date, its "
    "pledge, the redemption request reserving it, and its debtor's record, each against the state "
    "root of a header this wallet verified from the genesis.":
        "在最新认证高度证明凭证 VOUCHER：持有人、金额、状态和到期日，其质押、预留它的兑付申请和债"
        "务人记录，均对本钱包自创世区块验证的区块头状态根核对。",
    "As the agency, void the issued VOUCHER (its origin id): every live part leaves circulation "
    "and each holder is told.":
        "登记机构作废已签发凭证 VOUCHER（其原始编号）：所有现存部分退出流通，并通知各持有人。",
    "Voucher states by holder or by debtor.": "按持有人或债务人列出凭证状态。",
    "The creditor withdraws its application.": "债权人撤回其申请。",
}


# A command's full --help in Chinese (wallet/help.py: SpeakingCommand). DOCS_ZH: the rest of
# a docstring after its first sentence (HELP_ZH), as wallet/i18n.py's help_pieces cuts it:
# the rest of the first paragraph, then each later paragraph whole, words joined by single
# spaces. OPTIONS_ZH: each option's help as click holds it (f-strings already filled in).
# Option names, metavars and placeholders stay as they are.
DOCS_ZH: dict[str, str] = {
    "Ids: wherever a command takes an id, its first 8 or more hex digits do (or the `1a2b3c4d…9f0"
    "e` the tables print), if they name one record you may read; a member is also named by its ad"
    "dress's first digits or by its name.":
        "编号：凡命令需要编号之处，均可只写其前 8 位或更多十六进制数字（或表格所列的 `1a2b3c4d…9f"
        "0e` 形式），只要它只指向一条您可读取的记录；成员也可用其地址的前几位或其名称指明。",
    "The link holds a token good for one use within a minute, bound to --key's member; opening "
    "it starts a browser session (ended by the page's sign-out, by 30 minutes without a request, "
    "or after 8 hours).":
        "链接含一个一分钟内有效、仅能使用一次的令牌，绑定 --key 的成员；打开链接即开始浏览器会话"
        "（页面上登出、30 分钟无请求或满 8 小时即结束）。",
    "Keep the old key store: documents sealed to you before the rotation open with it.":
        "请保留旧密钥文件：更换前封存给您的文件仍须用它打开。",
    "The lost key signs nothing after.":
        "遗失的密钥此后不能再签署任何内容。",
    "Documents are sealed to you, the transferee, the agency and the regulators.":
        "文件封存给您、受让人、登记机构和监管成员。",
    "The reserved voucher is proven first against a header your light client verified "
    "(--no-verify skips it), then the review screen asks `Sign this?` (--yes: without asking).":
        "先以您的轻客户端验证过的区块头证明所预留的凭证（--no-verify 跳过此步），再由核对页询问“"
        "确认签署？”（--yes：不再询问）。",
    "Pledgor and bank sign, so draft it with --out.":
        "须由出质人与银行共同签署，请用 --out 生成草稿。",
    "Exit status 3 if it does not hold.":
        "不成立时退出状态为 3。",
    "One asset is offered once (its title number in no other offer); a consumption offer with a "
    "cap is used up by the redemptions it settles.":
        "同一资产只能报价一次（其权属证书编号不得出现在其他报价中）；设有总额上限的消费抵付报价，"
        "随其抵付的兑付逐步用完。",
    "Documents are sealed to you, the debtor, the agency and the regulators.":
        "文件封存给您、债务人、登记机构和监管成员。",
    "Documents are sealed to both parties, the agency and the regulators.":
        "文件封存给双方、登记机构和监管成员。",
    "With --revoke, take it back; with no option, show your mandates.":
        "加 --revoke 则撤销授权；不加选项则显示您的授权。",
    "A draft on a voucher that another member drafted (a pledge to your bank, a commitment you "
    "make as acquirer) is signed only once the voucher is proven live, held by that member and "
    "covering the draft's amount (wallet/checks.py), unless --no-verify.":
        "对另一成员起草的凭证草稿（向您的银行质押、您作为收购方作出的承诺），须先证明该凭证有效、"
        "由该成员持有且足以覆盖草稿金额（wallet/checks.py）才会签署，--no-verify 时除外。",
    "TX_ID: its whole id, or its first 8 or more hex digits (of a transaction you may read).":
        "TX_ID：交易的完整编号，或其前 8 位及以上十六进制数字（须为您可读取的交易）。",
    "The ledger keeps the padded ciphertext and a salted commitment, and names a document by an "
    "id derived from its owner and that commitment; its label, size and hash are seen only by "
    "its readers.":
        "账本只保存补齐长度后的密文和加盐承诺，并以由所有者和该承诺推导出的编号指称文件；文件的标"
        "签、大小和哈希只有其读者可见。",
    "Revoking it later stops nodes serving the grantee: what it read is not taken back.":
        "日后撤销授权，节点即停止向被授权方提供该文件；其已读取的内容无法收回。",
    "What it read already, it keeps; a grant it passed on stands.":
        "已读取的内容仍由其保留；其已转授的授权继续有效。",
    "Nodes whose release lacks it warn at once and stop before that height.":
        "发行版不支持该版本的节点会立即告警，并在该高度之前停止。",
    "A release runs one protocol version: this wallet's must be VERSION (refused otherwise), and "
    "every node stops before that height until its operator installs a release that runs it.":
        "一个发行版只运行一个协议版本：本钱包的版本须为 VERSION（否则拒绝），且在节点运营方安装运"
        "行该版本的发行版之前，各节点会在该高度之前停止。",
    "Exit 0 when every proof holds (a voucher absent, consumed or cancelled is reported so, "
    "proven); 3 with the proof.* code when one does not.":
        "所有证明均成立时退出状态为 0（凭证不存在、已消灭或已注销的，如实报告并附证明）；有证明不"
        "成立时退出状态为 3，并给出 proof.* 错误码。",
    "The --filing-* options give the pledge's 中登网 registration, or for a sale the transfer's ("
    "转让登记).":
        "--filing-* 选项填写质押在中登网的登记，出售时则填写转让登记。",
    "Documents (the factoring contract) are sealed to you and the buyer.":
        "文件（保理合同）封存给您和买方。",
    "Its holder, debtor and bank are told.":
        "其持有人、债务人和银行均会收到通知。",
    "--agreed: with its creditor and debtor co-signing, while every part is still the "
    "creditor's; otherwise by your recorded decision.":
        "--agreed：在各部分仍由债权人持有时，由债权人和债务人共同签署；否则依据您记录在案的决定。",
    "It holds the thing until the agency resolves it.":
        "争议期间该对象暂停办理，直至登记机构作出处理。",
    "`eval \"$(claimledger-wallet --key ME.json agent start --for 1h)\"` asks the passphrase "
    "once; later commands with the same --key sign through the agent, asking nothing.":
        "`eval \"$(claimledger-wallet --key ME.json agent start --for 1h)\"` 只询问一次口令；此后"
        "使用同一 --key 的命令都经签名代理签署，不再询问。",
}

OPTIONS_ZH: dict[str, str] = {
    "the node's name in network.toml or its API's URL (or $CLAIMLEDGER_NODE); plain http to a "
    "loopback address only":
        "节点在 network.toml 中的名称或其 API 的 URL（或 $CLAIMLEDGER_NODE）；明文 http 只能连接"
        "本机回环地址",
    "the network's genesis.json (or its network.toml): the wallet pins the node's TLS "
    "certificate to the node key it lists (or $CLAIMLEDGER_NETWORK)":
        "网络的 genesis.json（或其 network.toml）：钱包将节点的 TLS 证书固定为其中所列的节点密钥"
        "（或 $CLAIMLEDGER_NETWORK）",
    "CA certificates (PEM) for a node whose api_tls is \"ca\" (default: the system's; or "
    "$CLAIMLEDGER_CA_FILE)":
        "api_tls 为 \"ca\" 的节点所用的 CA 证书（PEM）（默认：系统自带；或 $CLAIMLEDGER_CA_FILE）",
    "your key store (or $CLAIMLEDGER_KEY)":
        "您的密钥文件（或 $CLAIMLEDGER_KEY）",
    "JSON output for scripts (keys and messages in English whatever --lang)":
        "供脚本使用的 JSON 输出（无论 --lang 如何，键和消息均为英文）",
    "the language of the output: zh (中文) or en (default: from LANGUAGE, LC_ALL or LANG, e.g. zh"
    "_CN.UTF-8; else en)":
        "输出语言：zh（中文）或 en（默认：取自 LANGUAGE、LC_ALL 或 LANG，如 zh_CN.UTF-8；否则为 e"
        "n）",
    "amounts in yuan (¥1,250,000.00) or in 万元 (¥125.00万)":
        "金额以元（¥1,250,000.00）或万元（¥125.00万）显示",
    "how long a submission waits for its commit before exiting 4 (pending; or $CLAIMLEDGER_WAIT)":
        "提交后等待入账的时长，超时以状态 4 退出（待入账；或 $CLAIMLEDGER_WAIT）",
    "a label kept in the file":
        "保存在文件中的标签",
    "the member address the new key is to sign for (a key the agency recovers for it: `member "
    "recover-key`); default: the key's own":
        "新密钥将代其签署的成员地址（登记机构为其恢复的密钥：`member recover-key`）；默认：密钥本"
        "身的地址",
    "legal_person (企事业法人), other_organisation (其他经济组织) or natural_person (自然人)":
        "legal_person（企事业法人）、other_organisation（其他经济组织）或 natural_person（自然人"
        "）",
    "an organisation's unified social credit code (统一社会信用代码, 18 characters)":
        "机构的统一社会信用代码（18 位）",
    "a natural person's resident identity number: checked here, recorded only as a salted hash":
        "自然人的居民身份证号码：在此校验，仅以加盐哈希记录",
    "a natural person's identity reference made before (64 hex digits), instead of --id-number":
        "事先生成的自然人身份引用（64 位十六进制数字），代替 --id-number",
    "an organisation's legal representative (法定代表人/负责人)":
        "机构的法定代表人（负责人）",
    "how the agency reaches the member (one line)":
        "登记机构联系该成员的方式（一行）",
    "GB/T 4754-2017 section letter, A to T":
        "GB/T 4754-2017 门类字母，A 至 T",
    "GB/T 2260 administrative division code, 6 digits":
        "GB/T 2260 行政区划代码，6 位数字",
    "a sealed document already on the ledger the review rests on (its id); repeatable":
        "审核所依据、已在账本上的封存文件（其编号）；可重复",
    "a file the review rests on (the application form, the business licence, the member's "
    "request), attached first, sealed to the agency and the regulators; repeatable":
        "审核所依据的文件（申请表、营业执照、成员的申请书），先行附上，封存给登记机构和监管成员；"
        "可重复",
    "blocks until the transaction expires (default 1,000; 50,000 for a draft with --out; at most "
    "200,000)":
        "交易失效前的区块数（默认 1,000；以 --out 生成草稿时为 50,000；最多 200,000）",
    "write an unsigned draft to FILE instead of submitting":
        "将未签名草稿写入 FILE，而不提交",
    "the new name (default: unchanged)":
        "新名称（默认：不变）",
    "the roles it holds from now on (default: unchanged); repeatable":
        "此后所具有的角色（默认：不变）；可重复",
    "the new key store to write (protected by a passphrase)":
        "要写入的新密钥文件（以口令保护）",
    "rotate without asking (after the review screen)":
        "不再询问即更换（在核对页之后）",
    "the member's new key (its `keygen --member` printed it): it co-signs this draft":
        "成员的新密钥（由 `keygen --member` 输出）：由它会签本草稿",
    "the debtor's address":
        "债务人地址",
    "in yuan, e.g. 1250000.00":
        "单位为元，如 1250000.00",
    "due date: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "到期日：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:05+08:00",
    "settled by the debtor's assets (资产抵付)":
        "以债务人的资产抵付（资产抵付）",
    "settled by consumption (消费抵付)":
        "以消费抵付（消费抵付）",
    "extension clause (展期): days per extension, 0 for none":
        "展期条款：每次展期的天数，0 表示不展期",
    "how many times it may extend (default 1 with a clause)":
        "可展期的次数（有展期条款时默认 1）",
    "the basis contract's reference":
        "基础合同的编号",
    "the basis document: its digest keyed by you and the debtor is recorded (only the two of you "
    "can compute it; `basis digest` shows it)":
        "基础文件：记录以您和债务人的密钥计算的文件摘要（只有你们双方能计算；`basis digest` 可显"
        "示）",
    "a basis digest computed before with `basis digest` (hex)":
        "事先用 `basis digest` 计算的基础文件摘要（十六进制）",
    "a confidential document (basis contract, invoice, delivery note) padded, encrypted and "
    "sealed to the parties, the agency and every regulator, and named by its document id; "
    "repeatable, at most 8, each at most 4 MiB":
        "机密文件（基础合同、发票、送货单），补齐长度、加密后封存给各方、登记机构和每个监管成员，"
        "并以其文件编号指称；可重复，最多 8 份，每份不超过 4 MiB",
    "what a --document is, sealed with it for its readers (one per --document, in order; "
    "default: the file's name)":
        "--document 是什么文件，随文件封存给其读者（每个 --document 一个，按顺序；默认：文件名）",
    "sign without asking, after the review screen (for scripts)":
        "在核对页之后不再询问即签署（供脚本使用）",
    "creditor address":
        "债权人地址",
    "debtor address":
        "债务人地址",
    "the parts in yuan, comma separated (no thousands separators); they add up to the voucher":
        "各部分金额（元），以逗号分隔（不用千位分隔符）；合计须等于凭证金额",
    "the bank the voucher is pledged to: it co-signs, the pledge ends":
        "凭证所质押的银行：由其会签，质押随之终止",
    "the pledgee bank's address":
        "质权银行的地址",
    "the claim the pledge secures, in yuan":
        "质押所担保的债权金额（元）",
    "the loan's principal, in yuan":
        "贷款本金（元）",
    "the loan's annual rate in percent, e.g. 4.35":
        "贷款年利率（百分比），如 4.35",
    "the loan's due date: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "贷款到期日：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:05+0"
        "8:00",
    "the loan contract's reference":
        "贷款合同的编号",
    "the 中登网 registration number (登记编号) of the pledge or the sale, once the bank or the bu"
    "yer filed it":
        "质押或出售在中登网的登记编号，由银行或买方办理登记之后填写",
    "the start of its registration period: YYYY-MM-DD (24:00 China time) or a date-time with "
    "offset, e.g. 2026-11-24T20:00:05+08:00":
        "登记期限的起始日：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:0"
        "0:05+08:00",
    "the end of its registration period: YYYY-MM-DD (24:00 China time) or a date-time with "
    "offset, e.g. 2026-11-24T20:00:05+08:00":
        "登记期限的届满日：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:0"
        "0:05+08:00",
    "the voucher's holder, who co-signs":
        "凭证的持有人，由其会签",
    "yuan paid per ¥10,000 of claim (9600 is 96% of face)":
        "每 ¥10,000 债权支付的元数（9600 即面值的 96%）",
    "no sale before: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "不早于：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:05+08:00",
    "no sale after: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "不晚于：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:05+08:00",
    "the acquisition agreement's reference":
        "收购协议的编号",
    "the commitment the voucher carries":
        "凭证所附的收购承诺",
    "claim to sell, in yuan (default: all of the voucher)":
        "出售的债权金额（元）（默认：凭证全部金额）",
    "reference of the acquirer's payment":
        "收购方付款的编号",
    "the transferee's address":
        "受让人的地址",
    "in yuan; the rest stays with you as a new part":
        "单位为元；其余部分作为新的部分仍归您持有",
    "the transfer contract's reference (转让合同), recorded with the transfer":
        "转让合同的编号，与转让一并记录",
    "the transferee signs within this many days, or the offer lapses and the part is yours to "
    "use again":
        "受让人须在此天数内签收，否则转让失效，该部分恢复可用",
    "a transfer you and the transferee sign at once: draft it with --out, the transferee runs "
    "`sign FILE`, then `submit FILE`":
        "由您和受让人同时签署的转让：以 --out 生成草稿，受让人执行 `sign FILE`，再执行 `submit FI"
        "LE`",
    "whatever their status":
        "不论其状态",
    "the light client state: the trusted genesis block id and the last verified header (default: "
    "beside the key store, KEY.light.json; or $CLAIMLEDGER_TRUST_FILE)":
        "轻客户端状态：受信任的创世区块编号和最近一次验证的区块头（默认：与密钥文件同目录的 KEY.l"
        "ight.json；或 $CLAIMLEDGER_TRUST_FILE）",
    "sign without proving the voucher first (a warning says so)":
        "不先证明凭证即签署（会给出警告）",
    "why you do not take it, kept in the record":
        "不接受的理由，记入记录",
    "the claim it secures, in yuan (within the pledged state)":
        "其担保的债权金额（元）（不超过已质押的状态）",
    "the pledge has no 中登网 filing any more":
        "该质押不再有中登网登记",
    "the new loan's due date: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "新贷款的到期日：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:"
        "05+08:00",
    "the new loan contract's reference":
        "新贷款合同的编号",
    "in yuan, less than the claim secured":
        "单位为元，须小于所担保的债权金额",
    "a pledgor's address":
        "出质人的地址",
    "a debtor's address: pledges of claims on it":
        "债务人的地址：以其为债务人的债权质押",
    "a voucher state's id":
        "凭证状态的编号",
    "an issued voucher's id: pledges on any of its parts":
        "已开具凭证的编号：其任一部分上的质押",
    "the page after this pledge id":
        "从该质押编号之后的一页开始",
    "a node key you trust to answer (repeatable; default: the node's own)":
        "您信任其应答的节点密钥（可重复；默认：该节点自己的）",
    "keep the certificate's bytes in FILE (check it later with --check)":
        "将证书字节保存到 FILE（日后可用 --check 核验）",
    "verify the certificate saved in FILE instead of asking the node":
        "核验保存在 FILE 中的证书，而不向节点询问",
    "with --check: the chain it must be of (default: the node's)":
        "与 --check 同用：证书须属于的链（默认：该节点的）",
    "in yuan":
        "单位为元",
    "an asset's title certificate number (产权证号); required for an asset":
        "资产的产权证号；资产报价必填",
    "in yuan: the most a consumption offer settles":
        "单位为元：消费抵付报价最多抵付的金额",
    "(default: unchanged)":
        "（默认：不变）",
    "in yuan (default: unchanged)":
        "单位为元（默认：不变）",
    "the debtor's offer":
        "债务人的报价",
    "the agreed price in yuan (default: the offer's price)":
        "商定价格（元）（默认：报价中的价格）",
    "title transfer registration (asset offers)":
        "权属转移登记（资产报价）",
    "the holder's money payment, when the price exceeds the claim":
        "价格超出债权金额时，持有人以现金支付的款项",
    "the merchant's address":
        "商户的地址",
    "in yuan; the rest stays with you":
        "单位为元；其余部分仍归您持有",
    "the order or invoice reference":
        "订单或发票的编号",
    "factoring: with recourse to the seller (有追索权) or without (无追索权)":
        "保理：对卖方有追索权或无追索权",
    "term range in days, LOW-HIGH (e.g. 30-180)":
        "期限范围（天），LOW-HIGH（如 30-180）",
    "in percent, LOW-HIGH: a loan's annual interest rate, a factoring's discount off the claim's "
    "face amount (e.g. 3.5-6)":
        "百分比，LOW-HIGH：贷款的年利率，或保理对债权面值的折扣率（如 3.5-6）",
    "amount range in yuan, LOW-HIGH (e.g. 1000-500000)":
        "金额范围（元），LOW-HIGH（如 1000-500000）",
    "where the full terms are published (a URL, a number)":
        "完整条款的公布之处（URL 或文号）",
    "factoring only":
        "仅限保理",
    "one funder's address (default: every funder)":
        "某一资金方的地址（默认：所有资金方）",
    "withdrawn products too":
        "包括已撤回的产品",
    "basis points of each amount changing holder":
        "对每笔变更持有人的金额收取的基点数",
    "basis points of each claim pledged":
        "对每笔质押的债权收取的基点数",
    "the payment's reference":
        "付款的编号",
    "who owes you":
        "欠您款项的一方",
    "in yuan, e.g. 120000.00":
        "单位为元，如 120000.00",
    "the basis contract's or invoice's reference":
        "基础合同或发票的编号",
    "in yuan; something must stay owed":
        "单位为元；须仍有欠款余额",
    "a creditor's address":
        "债权人的地址",
    "a debtor's address":
        "债务人的地址",
    "only obligations in this status":
        "只列出处于此状态的债务",
    "clear at most this much of your debts per round, in yuan":
        "每轮最多抵销您的债务金额（元）",
    "no round may clear your debts":
        "任何轮次都不得抵销您的债务",
    "remove your limit":
        "取消您的限额",
    "leave a member out (repeat it, or separate addresses by commas)":
        "排除某个成员（可重复，或以逗号分隔多个地址）",
    "consent deadline: this long after the ledger's latest block time":
        "同意期限：账本最新区块时间之后的这段时长",
    "blocks until each transaction expires (default 1,000)":
        "每笔交易失效前的区块数（默认 1,000）",
    "the most one run may clear of your debts, in yuan":
        "每次运行最多抵销您的债务金额（元）",
    "the mandate expires then: YYYY-MM-DD (24:00 China time) or a date-time with offset, e.g. "
    "2026-11-24T20:00:05+08:00":
        "授权的到期时间：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，如 2026-11-24T20:00:"
        "05+08:00",
    "revoke your standing mandate":
        "撤销您的长期授权",
    "the run closes this long after the latest block time":
        "运行在最新区块时间之后的这段时长结束",
    "batches submitted before waiting for them to commit":
        "每次等待入账之前提交的批次数",
    "whose rounds (default: yours)":
        "谁的轮次（默认：您的）",
    "only rounds waiting for consents":
        "只列出尚待同意的轮次",
    "show only what the round asks of this member":
        "只显示本轮对该成员的要求",
    "sign without asking (after the review screen)":
        "不再询问即签署（在核对页之后）",
    "return once the node accepted it":
        "节点受理后即返回",
    "accept without asking (after the review screen)":
        "不再询问即接受（在核对页之后）",
    "holder address (default: yours)":
        "持有人地址（默认：您的）",
    "only states in this status (default: every state, history included)":
        "只列出处于此状态的凭证状态（默认：所有状态，含历史）",
    "a holder's address (default: yours)":
        "持有人的地址（默认：您的）",
    "a voucher id":
        "凭证编号",
    "a bank's address (default: yours)":
        "银行的地址（默认：您的）",
    "a voucher id: commitments it carries":
        "凭证编号：其所附的收购承诺",
    "an acquirer's address (default: yours)":
        "收购方的地址（默认：您的）",
    "a debtor's address (default: yours)":
        "债务人的地址（默认：您的）",
    "a debtor's address (default: every debtor)":
        "债务人的地址（默认：所有债务人）",
    "whose events (default: yours)":
        "谁的事件（默认：您的）",
    "a cursor: only events after it":
        "游标：只列出其后的事件",
    "events per page":
        "每页事件数",
    "keep printing new events as blocks commit":
        "随区块入账持续输出新事件",
    "where to write the document (mode 0600, an existing file's too)":
        "文件的写入位置（权限 0600，已有文件也改为此权限）",
    "the grantee's address: a funder asked to lend, the voucher's transferee, an acquirer":
        "被授权方的地址：受邀放款的资金方、凭证的受让人或收购方",
    "the live voucher you hold, whose issuance application named DOCUMENT":
        "您持有的有效凭证，其签发申请列有 DOCUMENT",
    "the grantee's address":
        "被授权方的地址",
    "list this grantee's grants (default: yours, when no DOCUMENT is given)":
        "列出该被授权方获得的授权（默认：未给出 DOCUMENT 时为您的）",
    "the creditor's address":
        "债权人的地址",
    "the first height the version is in force at (a future one)":
        "该版本开始生效的首个高度（须为将来的高度）",
    "the first height the protocol version is in force at (a future one)":
        "该协议版本开始生效的首个高度（须为将来的高度）",
    "the new node's key (`claimledger-node init` prints it)":
        "新节点的密钥（由 `claimledger-node init` 输出）",
    "HOST:PORT of its TLS peer links":
        "其 TLS 节点间连接的 HOST:PORT",
    "the address of the member that runs it":
        "运行该节点的成员地址",
    "its name, as its node.toml gives it":
        "其名称，与其 node.toml 所写一致",
    "days of ledger time the proposal waits for its approvals":
        "提案等待批准的天数（按账本时间）",
    "the validator's node key":
        "验证节点的节点密钥",
    "the validator's node key now":
        "验证节点当前的节点密钥",
    "its new node key (from a new key store)":
        "其新的节点密钥（来自新的密钥文件）",
    "the observer's node key":
        "观察节点的节点密钥",
    "the agency or regulator member that runs it (its address)":
        "运行该节点的登记机构或监管成员（其地址）",
    "trust this id even though the file trusts another network's":
        "即使文件信任的是另一网络的编号，也信任此编号",
    "the part of the claim to finance, in yuan":
        "拟融资的债权部分金额（元）",
    "the term you wish, in days":
        "希望的期限（天）",
    "a funder to ask (repeatable, at most 16); none: every funder":
        "询价的资金方（可重复，最多 16 个）；不填：所有资金方",
    "how long the request stays open (at most 30)":
        "询价的开放时长（最多 30）",
    "yuan: a loan's principal, or the face amount of claim a sale buys":
        "元：贷款本金，或出售所买入债权的面值",
    "percent a year: a loan's interest rate, or a sale's discount rate":
        "年百分比：贷款利率，或出售的折扣率",
    "a loan's term in days":
        "贷款期限（天）",
    "a sale: with recourse to the seller (有追索权) or without (无追索权)":
        "出售：对卖方有追索权或无追索权",
    "when the quote expires (default: when the request closes): YYYY-MM-DD (24:00 China time) or "
    "a date-time with offset, e.g. 2026-11-24T20:00:05+08:00":
        "报价的失效时间（默认：询价结束时）：YYYY-MM-DD（北京时间 24:00）或带时区偏移的日期时间，"
        "如 2026-11-24T20:00:05+08:00",
    "the loan contract's reference (a pledge loan) or the sale contract's":
        "贷款合同（质押贷款）或出售合同的编号",
    "a sale: an attached document the sale rests on (repeatable)":
        "出售：出售所依据的已附文件（可重复）",
    "the funder's address (bank, factor, microlender)":
        "资金方的地址（银行、保理公司、小贷公司）",
    "the face amount sold, in yuan":
        "出售的面值（元）",
    "the annual discount rate in percent (e.g. 6.5)":
        "年折扣率（百分比）（如 6.5）",
    "with recourse to you if the debtor defaults (有追索权), or without (无追索权)":
        "债务人违约时对您有追索权，或无追索权",
    "the factoring contract's number (保理合同编号)":
        "保理合同编号",
    "whose sales (default: yours; the agency and regulators list anyone's)":
        "谁的出售（默认：您的；登记机构和监管成员可列出任何成员的）",
    "only as seller, buyer or debtor":
        "只列出作为卖方、买方或债务人的",
    "the limit in yuan (0: no issuance)":
        "额度（元）（0：不得签发）",
    "the bank whose credit line the limit follows: it co-signs (draft with --out, then the bank "
    "runs `sign FILE`)":
        "额度所依据授信的银行：由其会签（以 --out 生成草稿，再由银行执行 `sign FILE`）",
    "the credit line's contract number, or the decision's reference":
        "授信合同编号，或决定的文号",
    "in yuan: the most you hold on DEBTOR, pledged to you and held by you":
        "单位为元：您对 DEBTOR 的最大持有额，含质押给您的和您持有的",
    "overdue vouchers within the period that allow a listing":
        "期间内可据以列入名单的逾期凭证数",
    "late confirmations within the period that allow a listing":
        "期间内可据以列入名单的逾期确权数",
    "the period, in days back from the listing":
        "期间：自列入之日向前推算的天数",
    "why: shown to every member":
        "理由：所有成员均可见",
    "why it leaves the list":
        "移出名单的理由",
    "the funder (default: you)":
        "资金方（默认：您）",
    "delisted debtors too":
        "包括已移出名单的债务人",
    "YYYY-MM, YYYY-Qn, YYYY or YYYY-annual (China time, UTC+8)":
        "YYYY-MM、YYYY-Qn、YYYY 或 YYYY-annual（北京时间，UTC+8）",
    "how the rows group: debtor, bank, region (the debtor's) or month":
        "分组方式：debtor（债务人）、bank（银行）、region（债务人所在地区）或 month（月份）",
    "only this member's business (its address, or `me`); a member that is neither agency nor "
    "regulator reads only its own":
        "只统计该成员的业务（其地址，或 `me`）；既非登记机构也非监管成员的成员只能查看自己的",
    "csv and xlsx need --out":
        "csv 和 xlsx 须配合 --out",
    "write the report to this file (csv, xlsx or json)":
        "将报表写入此文件（csv、xlsx 或 json）",
    "the part to freeze, in yuan (default: all of the state)":
        "冻结的部分金额（元）（默认：该状态全部）",
    "the court order's reference, e.g. (2027)蒙0802执保123号":
        "法院裁定书的文号，如 (2027)蒙0802执保123号",
    "the court order document (its SHA-256 is recorded)":
        "法院裁定书文件（记录其 SHA-256）",
    "the court order's SHA-256 (hex)":
        "法院裁定书的 SHA-256（十六进制）",
    "why the basis fell away":
        "基础关系消灭的原因",
    "co-signed by the creditor and the debtor (no part passed on): draft with --out, each signs, "
    "then submit":
        "由债权人和债务人共同签署（尚无任何部分转出）：以 --out 生成草稿，双方签署后提交",
    "the parties' agreement (--agreed) or the agency's decision":
        "双方的协议（--agreed）或登记机构的决定",
    "its SHA-256 (hex), instead of the file":
        "其 SHA-256（十六进制），代替文件",
    "an open dispute on the voucher this decision upholds":
        "本决定所维持的、针对该凭证的未决争议",
    "a holder or debtor (default: you, unless --voucher or --all)":
        "持有人或债务人（默认：您，除非给出 --voucher 或 --all）",
    "an issued voucher (origin id)":
        "已开具的凭证（原始编号）",
    "every order in force (oversight)":
        "所有有效的裁定（监督）",
    "evidence (its SHA-256 is recorded); repeat for more":
        "证据（记录其 SHA-256）；可重复以添加多份",
    "evidence's SHA-256 (hex)":
        "证据的 SHA-256（十六进制）",
    "whose disputes (default: yours, unless --subject or --all)":
        "谁的争议（默认：您的，除非给出 --subject 或 --all）",
    "an application, issued voucher (origin) or obligation id":
        "申请、已开具凭证（原始编号）或债务的编号",
    "every open dispute (oversight)":
        "所有未决争议（监督）",
    "how long the agent signs (e.g. 90s, 15m, 2h; at most 12h); then it forgets the key and exits":
        "签名代理代签的时长（如 90s、15m、2h；最多 12h）；到期后清除密钥并退出",
    "also end after this long without signing anything":
        "在这段时长内未签署任何内容时也结束",
}
