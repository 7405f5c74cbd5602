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
    "asset": "资产",
    "consumption": "消费",
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
        "随后由服务机构审核并向债权人开具凭证；凭证日后转给谁，您即对谁负有该债务。",
    "The agency {agency} approves application {application}: the voucher is issued; the "
    "node did not show the application.":
        "服务机构 {agency} 审核通过申请 {application}，开具凭证；节点未显示该申请。",
    "The agency {agency} approves application {application} ({status}): a voucher of "
    "{amount} owed by {debtor} is issued to {creditor}, due by {due}, settled by {methods}.":
        "服务机构 {agency} 审核通过申请 {application}（{status}）：向 {creditor} 开具 "
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
    "application": "发行申请",
    "redemption request": "抵付申请",
    "set-off round": "抵销轮次",
    "legal_person": "法人",
    "natural_person": "自然人",
    "other_organisation": "其他组织",
}
